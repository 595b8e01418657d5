// Package platform controls the operating-system side of path-MTU discovery
// for UDP sockets: the Don't Fragment bit, the delivery of ICMP errors to the
// socket that caused them, the kernel's path-MTU estimate and the MTU of the
// route to a destination, and the classification of "message too long".
//
// # Setting options
//
// Options are set before bind through [Control], for use as
// [net.ListenConfig.Control] or [net.Dialer.Control], or on an open socket
// through [Configure]. Both report what took effect in a [Capabilities]
// value: an option this operating system lacks is reported as absent rather
// than failing, so that the caller can fall back to discovering the path MTU
// with probes alone (RFC 8899).
//
// # Don't Fragment modes
//
// [DFProbe], the default, sets the Don't Fragment bit and keeps the kernel
// from limiting sends to the path MTU it has cached from ICMP messages, so
// that a forged ICMP message cannot shrink the datagrams this library sends:
// the library validates ICMP feedback itself and decides. [DFDo] also sets
// the bit but lets the kernel refuse sends above its cached path MTU.
// [DFDont] lets datagrams be fragmented.
//
// # The error queue
//
// On Linux, with [Options.RecvErr], an ICMP "fragmentation needed" (RFC 1191)
// or "Packet Too Big" (RFC 8201) about a datagram this socket sent is queued
// on the socket's error queue, read without blocking by [ReadErrQueue]. The
// kernel also records the error as the socket's pending error, so the next
// ordinary read on the socket fails once with "message too long" (or
// "connection refused" for a port unreachable); [IsTransientReadError]
// recognises such errors so that a read loop can drain the queue and carry on.
//
// # Route MTUs
//
// [RouteMTU] reads the MTU of the route to a destination, the initial
// estimate of RFC 4347 section 4.1.1.1, in the calling thread's network
// namespace. A [RouteReader] does the same in the namespace of the thread
// that made it, whichever thread asks later, which suits a socket made on
// that thread; on Linux it shares one long-lived rtnetlink socket with the
// other readers of that namespace: a lookup asks for the
// route and, if the route has no MTU of its own, for its one interface's,
// and opens no socket and lists no interfaces.
//
// # Offloads
//
// [Capabilities] also says whether the kernel segments a buffer sent with
// a segment size into datagrams (GSO, Linux UDP_SEGMENT) and can coalesce
// the datagrams of one peer on receive (GRO, Linux UDP_GRO). Both are
// probed when the socket is configured, and neither is turned on there:
// segmentation is asked for per send, and coalescing, which changes what a
// read returns, by [SetGRO].
//
// # Platforms
//
//	                 DF modes               error queue   PathMTU   dual-stack DF
//	Linux            probe, do, dont        yes           yes       yes
//	Windows          probe, do, dont (1)    no            yes       yes (2)
//	macOS            do, dont (3)           no            no        macOS 15 and later
//	FreeBSD          do, dont (3)           no            no        if IP_DONTFRAG is accepted
//	other            no                     no            no        no
//
// (1) Through IP_MTU_DISCOVER where Windows has it, else IP_DONTFRAGMENT,
// which gives do and dont. (2) When the IPv4 option is accepted on the IPv6
// socket. (3) IP_DONTFRAG and IPV6_DONTFRAG only set the bit; a probe
// request is reported as [DFDo].
package platform
