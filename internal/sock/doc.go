// Package sock is the socket seam below the transport: one UDP socket, the
// operating system's reports about the datagrams it sent, and the logic
// that keeps those reports from being mistaken for the socket's own
// failures.
//
// # The Conn
//
// A [Conn] is one UDP socket as a Linux socket with IP_RECVERR behaves:
// [Listen] and [Dial] open real ones through package platform,
// [FromPacketConn] adopts a socket the application made, and package
// internal/memnet provides in-memory ones for tests in virtual time.
// Addresses are always unmapped: an IPv4 peer of a dual-stack socket is an
// IPv4 [netip.AddrPort], both ways.
//
// # Pending errors
//
// With IP_RECVERR, an ICMP error about a datagram sent earlier, to any peer
// of the socket, is queued on the socket's error queue and also becomes the
// socket's pending error, which the next send or receive returns once
// instead of doing its work: ECONNREFUSED for a port unreachable, EMSGSIZE
// for a "fragmentation needed" (RFC 1191) or "Packet Too Big" (RFC 8201),
// and so on. Reading the error queue clears it. A send the local stack
// refuses as larger than the interface MTU returns EMSGSIZE and queues an
// entry of origin LOCAL carrying the MTU.
//
// A [Socket] handles all of this in one place. Its ReadFrom never returns a
// pending error: it reads the error queue, hands what it finds to a
// [Handler], and reads again. Its Send tries again after a pending error,
// eight attempts in all, and tells apart a datagram the local stack refused
// ([TooLongError]), from one that could not be sent because every attempt
// met an error about earlier datagrams ([ErrNotSent]).
//
// # Where ICMP errors come from
//
// [New] hears them where the system puts them: on the error queue where
// there is one; elsewhere from a raw ICMP listener, when the Conn offers
// one ([ICMPListener]) and the process has the privilege, whose events
// then reach the Handler from the listener's goroutine. [NewWithICMP]
// chooses the source instead ([ICMPSource]): a raw listener beside the
// error queue, or none, as a path prober lets its user choose; the error
// queue is read all the same, for the local refusals. Every ICMP event is
// a hint, not yet validated: the Handler validates it (package icmp, RFC
// 8899 section 4.6.2) with the help of a [SentLog] of the datagrams sent
// recently.
//
// # Batches
//
// [Socket.ReadBatch] and [Socket.SendBatch] move several datagrams per
// system call where the Conn is a [BatchConn]: the real Conn on Linux
// (recvmmsg and sendmmsg) and memnet's; over any other Conn they move one
// per call. The caller owns the [Message] values and their buffers, and
// reuses them: a batch allocates nothing once the pools are warm. The
// rules are those of ReadFrom and Send, per datagram: a read never
// returns a pending error; a send drains it and tries again, reports a
// refusal as a *TooLongError and a datagram it could not send as
// ErrNotSent in the message's Err, and goes on with the next. Linux's
// sendmmsg stops at a datagram after the first that fails without
// returning the error, clearing a pending error: SendBatch sends the rest
// again, and reads the error queue before it returns.
//
// Where the kernel has them ([platform.Capabilities] GSO and GRO), the
// real Conn is an [Offloader]: SendBatch hands a run of datagrams of
// equal size to one peer to the kernel as one buffer, which it cuts into
// datagrams (UDP_SEGMENT); a segmented send the kernel refuses goes again
// unsegmented. Receive coalescing (UDP_GRO), asked for with EnableGRO,
// has the kernel join the datagrams of one peer; every read then splits
// them back. Each datagram is still a DTLS record of its own.
package sock
