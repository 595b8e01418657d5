package handshake

import (
	"cmp"

	"golang.org/x/crypto/cryptobyte"
)

// ServerHello is the ServerHello message body of RFC 5246, Section 7.4.1.3
// (RFC 4346, Section 7.4.1.3 for DTLS 1.0), unchanged in DTLS:
//
//	struct {
//	    ProtocolVersion server_version;
//	    Random random;
//	    SessionID session_id;
//	    CipherSuite cipher_suite;
//	    CompressionMethod compression_method;
//	    select (extensions_present) {
//	        case false:
//	            struct {};
//	        case true:
//	            Extension extensions<0..2^16-1>;
//	    };
//	} ServerHello;
//
// DTLS 1.3 keeps the layout (RFC 9147, Section 5.4: the ServerHello of
// RFC 8446, Section 4.1.3 with legacy_version 0xfefd): legacy_version,
// random, legacy_session_id_echo, cipher_suite and
// legacy_compression_method 0, the version chosen being in
// supported_versions. A ServerHello whose Random is
// HelloRetryRequestRandom is a HelloRetryRequest, and its extensions are
// parsed in the HelloRetryRequest form (hello_retry_request.go).
//
// After Unmarshal, the byte slices alias the body that was parsed.
type ServerHello struct {
	Version           uint16
	Random            [32]byte
	SessionID         []byte // <0..32>
	CipherSuite       uint16
	CompressionMethod uint8
	Extensions        Extensions
}

// Marshal returns the encoded ServerHello body, or an error if a field does
// not fit its vector's bounds.
func (m *ServerHello) Marshal() ([]byte, error) {
	err := cmp.Or(
		checkLen("ServerHello session_id", len(m.SessionID), 0, maxSessionIDLen),
		m.Extensions.check(m.context()),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(128)
	a.u16(m.Version)
	a.bytes(m.Random[:])
	a.opaque8(m.SessionID)
	a.u16(m.CipherSuite)
	a.u8(m.CompressionMethod)
	m.Extensions.marshal(&a)
	return a.result()
}

// Unmarshal parses a ServerHello body into m and reports whether it is well
// formed, with nothing left over.
func (m *ServerHello) Unmarshal(body []byte) bool {
	*m = ServerHello{}
	s := cryptobyte.String(body)
	return s.ReadUint16(&m.Version) &&
		s.CopyBytes(m.Random[:]) &&
		readOpaque8(&s, &m.SessionID, 0) && len(m.SessionID) <= maxSessionIDLen &&
		s.ReadUint16(&m.CipherSuite) &&
		s.ReadUint8(&m.CompressionMethod) &&
		m.Extensions.unmarshal(&s, m.context())
}
