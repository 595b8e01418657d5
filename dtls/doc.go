// Package dtls implements DTLS 1.0 (RFC 4347), DTLS 1.2 (RFC 6347) and
// DTLS 1.3 (RFC 9147, see Versions below): the record layer with explicit
// epochs and sequence numbers and an anti-replay window, the handshake with fragmentation, reassembly, flights and a
// retransmission timer, the stateless cookie exchange, ECDHE and PSK key
// exchange, and alerts.
//
// The API follows crypto/tls. A [Config] describes one side; a [Conn] is one
// association. A Conn keeps datagram boundaries: one Write is one record in
// one datagram, and one Read returns the data of one record.
//
// # The engine
//
// A Conn advances on events, not on the application's calls: each datagram
// from the peer is processed as it arrives (records authenticated, the
// handshake moved on, a retransmitted flight answered, a heartbeat request
// answered, alerts acted on), and its retransmission timer and handshake
// deadline are timer callbacks. Decrypted application data waits in a
// queue bounded by [Config.ReceiveQueueSize] until Read takes it; when it
// is full the oldest records are dropped and counted. A Conn whose
// application never reads still completes its handshake, answers the
// peer's retransmissions and heartbeats, and hears its close_notify.
//
// A Conn gets its datagrams in one of two ways:
//
//   - [Client] and [Server] wrap a datagram connection (a net.Conn whose
//     Read and Write carry whole datagrams, such as a connected
//     *net.UDPConn), which a goroutine of the Conn reads from the start of
//     the handshake until Close.
//   - [ClientOn] and [ServerOn] take a [Link]: the Conn sends through it, and
//     the link's owner, which reads the socket, passes each datagram to
//     [Conn.HandleDatagram]. This is how package transport runs every
//     association of a listener off one reader goroutine. A [HelloGate] is
//     the stateless front door such a server puts before its associations.
//
// # Datagram size
//
// The engine never sends a datagram larger than the size its [Path]
// reports. Handshake flights are fragmented to fit, a split message ending
// its record; application data that does not fit is refused with a
// [*PayloadTooLargeError] rather than fragmented by IP. The Path hears how
// each flight fared ([Path.FlightLost], [Path.FlightAnswered]), and a
// [Link] reports the epoch and sequence number of the first record of
// every datagram it sends, so that ICMP messages about them can be
// validated ([ParseRecordID]). Over a datagram connection that is no Path,
// the size is fixed at Config.DatagramSize: finding the path MTU, and
// backing off through a black hole (RFC 6347 §4.1.1.1), is package
// transport's work.
//
// # Versions
//
// DTLS 1.2 is the default. Config.MaxVersion = VersionDTLS13 adds DTLS 1.3
// (RFC 9147), preferred when the peer speaks it: its own suites, the
// unified record header, HelloRetryRequest with a stateless cookie, ACKs
// and selective retransmission, KeyUpdate (Conn.UpdateKeys), tickets sent
// after the handshake, connection IDs; no early data, and no
// renegotiation. RFC 8996 deprecates DTLS 1.0; a caller that must talk to
// old peers opts in with Config.MinVersion = VersionDTLS10.
//
// # Resumption
//
// A client with a [ClientSessionCache] in its Config resumes the session
// of its last full handshake with the same server: an abbreviated
// handshake without key exchange, certificates or signatures, which
// [ConnectionState].DidResume reports. The session travels in a session
// ticket (RFC 5077) when both sides use them, as they do unless
// Config.SessionTicketsDisabled says otherwise: the server seals it with a
// key of its own and keeps nothing, so that every server holding the key
// (Config.SetSessionTicketKeys) resumes it. Otherwise it is resumed by
// session ID (RFC 5246 §7.4.1.2), and the server keeps it
// (Config.SessionCacheSize). Sessions are resumed for
// Config.SessionLifetime after their full handshake, and only those with
// the extended master secret (RFC 7627 §5.3). The cookie exchange comes
// first either way, unless Config.InsecureNoCookie turns it off.
//
// # Renegotiation
//
// [Conn.Rehandshake] renegotiates an association's keys with a new full
// handshake in its current epoch (RFC 4347 §4.2.4): a server sends a
// HelloRequest, a client a ClientHello. Only secure renegotiation is done
// (RFC 5746): each hello carries the last Finished messages, and a peer
// that did not offer renegotiation_info is refused. Config.Renegotiation
// says which renegotiations the peer may start (none by default, as
// crypto/tls; once; or freely); one refused gets a no_renegotiation
// warning and the association goes on. Data flows both ways meanwhile:
// ours in the old epoch until the new handshake completes, and the peer's
// old epoch is read until its first record in the new one, and after it
// for data reordered across the change. A renegotiation after a long idle
// period starts its retransmission timer afresh (RFC 6347 §4.2.4.1).
//
// # Connection IDs
//
// With a [ConnectionIDConfig] on both sides, the records of an association
// carry connection IDs (RFC 9146, DTLS 1.2): each side asks for the ID it
// wants to find in the records it receives, of ConnectionIDConfig.Length
// bytes, random or from ConnectionIDConfig.Generate. A server routes by
// them (package transport does) so that a client keeps its association
// when its address changes; such a client asks for a Length of 0.
// [ConnectionState] shows both IDs. [Conn.HandleMovedDatagram] tells the
// owner of a Conn when a datagram from a new address shows that the peer
// moved there.
//
// # Errors
//
// A handshake that does not complete in time returns a
// [*HandshakeTimeoutError], a net.Error whose Timeout reports true. Alerts
// sent and received are [*AlertError] values; errors.Is matches the
// [Alert]. What arrives without authentication (records of epoch 0) never
// ends a handshake at once: an alert there, or a record of the new epoch
// that fails authentication, ends it only if the peer's handshake does not
// move on before the next timeout.
//
// # Logging
//
// A Config's Logger (a *slog.Logger) receives what happens as structured
// records: a constant message naming the event and its details as
// attributes. The steps of a handshake ("message received", "flight sent",
// "retransmit", "negotiated", "encrypt-then-MAC negotiated", "connection ID
// negotiated") are at slog.LevelDebug; "handshake complete", "session
// resumed" (by "ticket" or "session ID"), "renegotiation complete" and the
// transport's "peer moved", "path MTU changed" and "handshake failed" at
// slog.LevelInfo. No record holds a key, a master secret, a PSK or the
// contents of a ticket. Without a Logger, logging costs nothing.
// Config.Trace, which receives the same events as lines of text, is
// deprecated.
//
// # Time
//
// Timers use the time package, so tests run in virtual time under
// testing/synctest, with an in-memory datagram connection or Link.
package dtls
