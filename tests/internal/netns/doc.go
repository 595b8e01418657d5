// Package netns builds small networks of Linux network namespaces for tests:
// a client and a server joined through one or more routers by veth pairs,
// with IPv4 and IPv6, a chosen MTU on each link, and optional impairments.
// The routers are real kernel routers: they forward, and they send ICMPv4
// "fragmentation needed" (RFC 1191) and ICMPv6 "Packet Too Big" (RFC 8201)
// when a datagram with the Don't-Fragment bit, or any IPv6 datagram, does not
// fit the next link.
//
// # Topology
//
// [New] builds, with n routers (n ≥ 1) and links numbered from 0 at the
// client:
//
//	client          router 1                router n          server
//	  east ─link 0─ west    east ─ ··· ─ west    east ─link n─ west
//
// Link i joins the east interface of the namespace on its left to the west
// interface of the one on its right, with the same MTU at both ends (a veth
// drops frames larger than its receiving end's MTU, which would otherwise be
// an accidental black hole). Its addresses are 198.18.i.1/24 and
// fd8a:5d2e:93b1:i::1/64 on the left, 198.18.i.2 and fd8a:5d2e:93b1:i::2 on
// the right: the IPv4 benchmarking range of RFC 2544 and an RFC 4193 unique
// local prefix, so nothing can clash with a real network. Every namespace
// has routes to every link. IPv6 duplicate address detection is off, so the
// addresses work at once, and the routers do not rate-limit the ICMP they
// send.
//
// A router sends its ICMP errors from the address of the interface toward
// the datagram's source: a client learns of router k's bottleneck from
// Routers[k-1].West.
//
// # Running code in a namespace
//
// A network namespace belongs to an OS thread, and Go moves goroutines
// between threads. [Namespace.Do] and [Namespace.Run] lock the calling
// goroutine to its thread, move the thread into the namespace, call a
// function and move the thread back. A socket belongs to the namespace in
// which it was created, for its whole life: create sockets inside the
// function, then use them anywhere, from any goroutine. Goroutines started by
// the function run in the test process's own namespace, and so may those the
// net package starts: give it literal addresses, not names to resolve.
//
// For a whole process in a namespace, such as a peer tool,
// [Namespace.Command] wraps the command in "ip netns exec".
//
// # Clean-up
//
// Every namespace is deleted by a [testing.TB.Cleanup] registered as soon as
// it exists; deleting a namespace deletes its veths, and none are ever
// created in the test process's namespace. Names carry the process ID, so
// tests can run in parallel and in parallel processes, and [New] deletes the
// namespaces left behind by test processes that no longer exist.
//
// Everything here needs root and Linux; on other systems the package is
// empty.
package netns
