// Package handshake encodes and decodes the DTLS handshake message header
// and the handshake message bodies of DTLS 1.0 (RFC 4347) and DTLS 1.2
// (RFC 6347) full handshakes with ECDHE (ECDSA or RSA certificates) and PSK
// key exchange, and those of DTLS 1.3 (RFC 9147, with the messages of RFC
// 8446).
//
// # Messages
//
// Each message body has its own type and file, with a Marshal method that
// returns the encoded body and an Unmarshal method that reports whether a
// body is well formed. Bodies never include the 12-byte DTLS handshake
// header: the fragmentation layer adds it with [Header.Append] and splits it
// off with [ParseFragment]. Messages whose layout differs between DTLS 1.0
// and DTLS 1.2 (ServerKeyExchange, CertificateRequest, CertificateVerify)
// take a tls12 argument.
//
// # DTLS 1.3
//
// ClientHello and ServerHello serve DTLS 1.3 too; a ServerHello whose
// Random is HelloRetryRequestRandom is a HelloRetryRequest. The messages
// whose layout TLS 1.3 changed have types of their own: EncryptedExtensions,
// Certificate13, CertificateRequest13 and NewSessionTicket13, beside the new
// KeyUpdate, NewConnectionID and RequestConnectionID. CertificateVerify (with tls12 true) and Finished keep their
// types. The TLS 1.3 extensions are fields of Extensions; the three whose
// layout differs between messages (supported_versions, key_share,
// pre_shared_key) are parsed in the form of the message that carries them,
// and pre_shared_key must end a ClientHello: PSKBindersLen and
// SetPSKBinders serve the binders computed over it.
//
// # Parsing
//
// Parsers are strict: every vector must lie within the bounds its RFC
// declares, and nothing may follow the last field. Unmarshal resets the
// message before parsing; when it returns false the message's contents are
// unspecified. On success, byte-slice fields alias the body that was parsed
// (never more than it) instead of copying it, with their capacity clipped so
// that appending to one cannot overwrite another; callers that keep a
// message longer than the body must copy what they keep. A false result is
// meant to become a decode_error alert (RFC 5246, Section 7.2.2).
//
// # Marshaling
//
// Marshal checks every field against its vector's bounds and returns an
// error, starting with "dtls: ", instead of writing an encoding the peer
// would reject. Hello extensions are written in ascending type order, but
// pre_shared_key last, and no extensions block is written in a hello when
// there are none.
//
// # References
//
//   - RFC 4347 and RFC 6347: DTLS 1.0 and 1.2 (header, HelloVerifyRequest,
//     the ClientHello cookie).
//   - RFC 4346 and RFC 5246: TLS 1.1 and 1.2, Section 7.4 (message bodies).
//   - RFC 4492 and RFC 8422: ECDHE key exchange and its extensions.
//   - RFC 4279: PSK key exchange.
//   - RFC 5746: renegotiation_info. RFC 6066: server_name.
//     RFC 6520: heartbeat. RFC 7627: extended_master_secret.
//     RFC 9146: connection_id.
//   - RFC 8446 (TLS 1.3, Section 4) and RFC 9147 (DTLS 1.3, Section 5):
//     the DTLS 1.3 messages and extensions.
package handshake
