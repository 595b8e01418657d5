// Package tls13 implements the key schedule and the handshake transcript of
// DTLS 1.3 (RFC 9147), which are those of TLS 1.3 (RFC 8446, Section 7) with
// the DTLS label prefix "dtls13" (RFC 9147, Section 5.9) and the transcript
// taken over TLS-style handshake messages (RFC 9147, Section 5.2).
//
// # Key schedule
//
// The secrets of RFC 8446, Section 7.1 are three stages, each a type that
// derives the next, so that a secret cannot be asked of a stage that does not
// have it yet:
//
//	             0
//	             |
//	             v
//	   PSK ->  HKDF-Extract = Early Secret          (NewEarlySecret)
//	             |  binder keys, c e traffic, e exp master
//	             v
//	       Derive-Secret(., "derived", "")
//	             |
//	             v
//	(EC)DHE -> HKDF-Extract = Handshake Secret      (EarlySecret.HandshakeSecret)
//	             |  c hs traffic, s hs traffic
//	             v
//	       Derive-Secret(., "derived", "")
//	             |
//	             v
//	   0 -> HKDF-Extract = Master Secret            (HandshakeSecret.MasterSecret)
//	                c ap traffic, s ap traffic, exp master, res master
//
// Traffic secrets become record keys through TrafficKeys (key, iv and the
// record number key "sn" of RFC 9147, Section 4.2.3) and are updated with
// NextTrafficSecret (RFC 8446, Section 7.2).
//
// # Labels
//
// Every HKDF-Expand-Label of this package, including those inside the
// exporter (RFC 8446, Section 7.5) and the resumption PSK (RFC 8446,
// Section 4.6.1), uses the prefix "dtls13" with no trailing space where
// TLS 1.3 uses "tls13 ". The tests switch the prefix to "tls13 " to check the
// schedule against the TLS 1.3 traces of RFC 8448.
//
// # Errors
//
// The functions take the lengths the handshake gives them. Lengths that
// HKDF-Expand-Label cannot encode (an output longer than 255 hashes or than
// 2^16-1 bytes, a label longer than 249 bytes, a context longer than 255
// bytes), a negative length or a hash that is not linked into the binary make
// them return nil rather than panic; a nil key is then refused by the AEAD
// constructors. ExportKeyingMaterial, whose label and length come from the
// application, returns an error instead.
package tls13
