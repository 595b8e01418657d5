// Package dtls implements DTLS 1.0 (RFC 4347) and DTLS 1.2 (RFC 6347): the
// record layer with explicit epochs and sequence numbers and an anti-replay
// window, the handshake with fragmentation, reassembly, flights and a
// retransmission timer, the stateless cookie exchange, ECDHE and PSK key
// exchange, and alerts.
//
// The API follows crypto/tls. A [Config] describes one side; [Client] and
// [Server] wrap a datagram connection (a net.Conn whose Read and Write carry
// whole datagrams, such as a connected *net.UDPConn) in a [Conn]. A Conn keeps
// datagram boundaries: one Write is one record in one datagram, and one Read
// returns the data of one record.
//
// # Datagram size
//
// The engine never sends a datagram larger than the size its [Path] reports.
// Handshake flights are fragmented to fit; application data that does not fit
// is refused with a [*PayloadTooLargeError] rather than fragmented by IP. If
// the datagram connection implements [Path], it is asked before every
// transmission; otherwise a fixed size of [Config.DatagramSize] bytes of UDP
// payload is used, stepped down a backoff ladder when flights keep timing out
// (RFC 6347 §4.1.1.1).
//
// # Versions
//
// DTLS 1.2 is the default. RFC 8996 deprecates DTLS 1.0; a caller that must
// talk to old peers opts in with Config.MinVersion = VersionDTLS10.
//
// # Time
//
// Retransmission timers use the time package and the deadlines of the
// datagram connection, so tests run in virtual time under testing/synctest
// with an in-memory connection.
package dtls
