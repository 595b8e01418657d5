package handshake

import (
	"golang.org/x/crypto/cryptobyte"
)

// HelloVerifyRequest is the HelloVerifyRequest message body of RFC 6347,
// Section 4.2.1, which carries the stateless cookie:
//
//	struct {
//	  ProtocolVersion server_version;
//	  opaque cookie<0..2^8-1>;
//	} HelloVerifyRequest;
//
// RFC 6347 recommends that a server send version 1.0 (0xfeff) here whatever
// version it will negotiate. RFC 4347 capped the cookie at 32 bytes; the
// 255-byte cap of RFC 6347 applies here to both versions. After Unmarshal,
// Cookie aliases the body that was parsed.
type HelloVerifyRequest struct {
	Version uint16
	Cookie  []byte // <0..2^8-1>
}

// Marshal returns the encoded HelloVerifyRequest body, or an error if the
// cookie is longer than 255 bytes.
func (m *HelloVerifyRequest) Marshal() ([]byte, error) {
	if err := checkLen("HelloVerifyRequest cookie", len(m.Cookie), 0, 1<<8-1); err != nil {
		return nil, err
	}
	a := newAppender(3 + len(m.Cookie))
	a.u16(m.Version)
	a.opaque8(m.Cookie)
	return a.result()
}

// Unmarshal parses a HelloVerifyRequest body into m and reports whether it
// is well formed, with nothing left over.
func (m *HelloVerifyRequest) Unmarshal(body []byte) bool {
	*m = HelloVerifyRequest{}
	s := cryptobyte.String(body)
	return s.ReadUint16(&m.Version) && readOpaque8(&s, &m.Cookie, 0) && s.Empty()
}
