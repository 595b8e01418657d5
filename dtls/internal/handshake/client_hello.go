package handshake

import (
	"cmp"

	"golang.org/x/crypto/cryptobyte"
)

// maxSessionIDLen is the ceiling of SessionID, opaque SessionID<0..32>
// (RFC 5246, Section 7.4.1.2).
const maxSessionIDLen = 32

// ClientHello is the ClientHello message body of RFC 6347, Section 4.2.1,
// which adds the cookie to the one of RFC 5246, Section 7.4.1.2:
//
//	struct {
//	  ProtocolVersion client_version;
//	  Random random;
//	  SessionID session_id;
//	  opaque cookie<0..2^8-1>;                             // New field
//	  CipherSuite cipher_suites<2..2^16-1>;
//	  CompressionMethod compression_methods<1..2^8-1>;
//	  select (extensions_present) {
//	      case false:
//	          struct {};
//	      case true:
//	          Extension extensions<0..2^16-1>;
//	  };
//	} ClientHello;
//
// RFC 4347 capped the cookie at 32 bytes; RFC 6347 raised the cap to 255,
// which this package applies to both versions.
//
// DTLS 1.3 keeps the layout (RFC 9147, Section 5.3) and renames the fields
// legacy_version (0xfefd, the versions offered being in supported_versions),
// legacy_session_id, legacy_cookie and legacy_compression_methods (the
// null method alone). Its legacy_cookie is empty, the cookie moving to the
// cookie extension; a server negotiating DTLS 1.3 answers any other value
// with illegal_parameter, which is the handshake engine's check, as the
// version is chosen there. Extensions are parsed in their ClientHello form,
// and pre_shared_key must be the last (RFC 8446, Section 4.2.11).
//
// After Unmarshal, the byte slices alias the body that was parsed.
type ClientHello struct {
	Version            uint16
	Random             [32]byte
	SessionID          []byte   // <0..32>
	Cookie             []byte   // <0..2^8-1> (RFC 6347, Section 4.2.1)
	CipherSuites       []uint16 // <2..2^16-2>: at least one
	CompressionMethods []uint8  // <1..2^8-1>
	Extensions         Extensions
}

// Marshal returns the encoded ClientHello body, or an error if a field does
// not fit its vector's bounds.
func (m *ClientHello) Marshal() ([]byte, error) {
	err := cmp.Or(
		checkLen("ClientHello session_id", len(m.SessionID), 0, maxSessionIDLen),
		checkLen("ClientHello cookie", len(m.Cookie), 0, 1<<8-1),
		checkLen("ClientHello cipher_suites", 2*len(m.CipherSuites), 2, 1<<16-2),
		checkLen("ClientHello compression_methods", len(m.CompressionMethods), 1, 1<<8-1),
		m.Extensions.check(inClientHello),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(256)
	a.u16(m.Version)
	a.bytes(m.Random[:])
	a.opaque8(m.SessionID)
	a.opaque8(m.Cookie)
	a.uint16List(m.CipherSuites)
	a.opaque8(m.CompressionMethods)
	m.Extensions.marshal(&a)
	return a.result()
}

// Unmarshal parses a ClientHello body into m and reports whether it is well
// formed, with nothing left over.
func (m *ClientHello) Unmarshal(body []byte) bool {
	*m = ClientHello{}
	s := cryptobyte.String(body)
	return s.ReadUint16(&m.Version) &&
		s.CopyBytes(m.Random[:]) &&
		readOpaque8(&s, &m.SessionID, 0) && len(m.SessionID) <= maxSessionIDLen &&
		readOpaque8(&s, &m.Cookie, 0) &&
		readUint16List(&s, &m.CipherSuites) &&
		readOpaque8(&s, &m.CompressionMethods, 1) &&
		m.Extensions.unmarshal(&s, inClientHello)
}
