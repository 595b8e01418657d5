// Package memnet is an in-memory IP network with the semantics of Linux UDP
// sockets, for tests that run in testing/synctest virtual time.
//
// A [Network] holds hosts, each with addresses (IPv4 and IPv6, several per
// host allowed) and an interface MTU. A host's sockets ([Host.Listen],
// [Host.Dial]) implement the Conn of package internal/sock, as a Linux
// socket with IP_RECVERR and IP_PMTUDISC_PROBE behaves:
//
//   - A send larger than the interface MTU fails with EMSGSIZE and queues
//     an error-queue entry of origin LOCAL whose info is the MTU.
//   - The path from one address to another is configured per direction
//     ([Network.SetPath]): a bottleneck MTU whose router answers a datagram
//     too large with an ICMPv4 "fragmentation needed" (RFC 1191) or an
//     ICMPv6 "Packet Too Big" (RFC 8201), or drops it silently (a black
//     hole); loss, duplication, reordering and delay, drawn from a seeded
//     generator; and a hook for scripted drops.
//   - A datagram to a port where nothing listens brings the sender a port
//     unreachable.
//   - An ICMP error is queued on the sending socket's error queue, with the
//     start of the datagram quoted (520 bytes of UDP payload for IPv4 and
//     1184 for IPv6 by default, as Linux routers quote), and becomes the
//     socket's pending error, which the next ReadFrom or WriteTo returns
//     once, doing nothing else; reading the error queue clears it.
//   - Each socket's receive queue is bounded in bytes, like a kernel
//     receive buffer; what does not fit is dropped and counted.
//   - Batches ([Conn.ReadBatch], [Conn.WriteBatch]) behave as recvmmsg and
//     sendmmsg: a batch read returns the pending error first, then what
//     waits, without waiting for more; a batch send returns the error of
//     its first datagram, and loses that of a later one, clearing a
//     pending error, as sendmmsg does. There is no segmentation or
//     coalescing.
//
// A host may instead behave as a system without an error queue
// ([HostConfig.NoErrorQueue]): ICMP errors then become pending errors on
// connected sockets only, and raw ICMP listeners ([HostConfig.RawICMP]),
// the privileged fallback, hear them.
//
// Errors are the errnos package platform classifies as it does the real
// ones, wrapped as package net wraps them (*net.OpError around
// *os.SyscallError), so code cannot tell the difference.
//
// # Time
//
// The network uses only package time, channels and package sync: delays
// are time.AfterFunc timers, run one at a time in the order of their due
// time and then of scheduling, so that a test in a synctest bubble is
// deterministic given the seeds. Create the Network inside the bubble. A
// datagram on a path without delay is delivered, or its ICMP error
// queued, before WriteTo returns. No goroutine outlives [Network.Close].
package memnet
