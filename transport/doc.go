// Package transport runs DTLS over real UDP sockets: [Dial] opens a connected
// socket and runs a client handshake; [Listen] opens one socket, reads it
// with a single goroutine and demultiplexes the datagrams it receives to
// server-side associations by the peer's address and port.
//
// # Listening
//
// A [Listener] keeps no state for a peer until the peer has proved that it
// can receive at its address: a datagram from an unknown address is handed
// to [dtls.Config.VerifyClientHello], which answers a ClientHello without a
// valid cookie with a HelloVerifyRequest and remembers nothing (RFC 6347
// §4.2.1). Only a ClientHello that carries a valid cookie creates an
// association, and only while the accept backlog has room; otherwise it is
// dropped and the client's retransmission timer tries again.
//
// Each association is a small datagram connection over the shared socket:
// its reads take datagrams from a bounded queue that the listener's reader
// fills, its writes go straight to the socket, and its deadlines are timers
// rather than goroutines. A listener therefore costs one goroutine however
// many associations it serves.
//
// Listening on an IPv6 wildcard address such as "[::]:4433" (or on ":4433")
// with network "udp" serves IPv4 and IPv6 peers on one dual-stack socket.
// IPv4 peers are always reported by their IPv4 address, never as
// IPv4-mapped IPv6 addresses.
//
// # Datagram size
//
// Sockets are opened through package platform with the Don't Fragment bit
// in probe mode and, on Linux, the error queue on. Each association keeps
// its own path-MTU estimate: the MTU of the route to the peer at first (RFC
// 4347 §4.1.1.1), capped by [Dialer.MaxMTU] or [ListenConfig.MaxMTU]
// ([DefaultMaxMTU] if zero). Sizes count the IP and UDP headers, as a link
// MTU does: datagrams to an IPv4 peer carry at most MTU−28 bytes of UDP
// payload, and to an IPv6 peer MTU−48.
//
// The estimate goes down on three signals. An ICMP "fragmentation needed"
// (RFC 1191) or "Packet Too Big" (RFC 8201) read from the error queue is
// validated first: it must quote the epoch and sequence number of the first
// record of a datagram the association sent recently, and report an MTU
// below that datagram's size. A send the local stack refuses as too long
// lowers it to the stack's limit. And a handshake flight that times out
// steps it one rung down the backoff ladder from the first timeout, since
// through a black hole no other signal comes. During a handshake, a
// validated ICMP message or a local refusal re-sends the current flight at
// once, fragmented to the new size, without waiting for the timer.
//
// [Dialer.MTU], [ListenConfig.MTU], a non-zero [dtls.Config.DatagramSize]
// and [Conn.SetFixedMTU] fix the size instead.
//
// BUG(pathdtls): A client that starts a new association from the same address
// and port while the listener still holds its old one (RFC 6347 §4.2.8) is
// not recognized: its ClientHellos reach the old association, which refuses
// them, until the application closes that association.
package transport
