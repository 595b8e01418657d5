package handshake

import (
	"golang.org/x/crypto/cryptobyte"
)

// EncryptedExtensions is the EncryptedExtensions message body of RFC 8446,
// Section 4.3.1, the first message a DTLS 1.3 server sends under the
// handshake keys, with the extensions that do not establish them:
//
//	struct {
//	    Extension extensions<0..2^16-1>;
//	} EncryptedExtensions;
//
// Unlike a hello's, the extensions block is always there, if empty.
// Extensions are parsed as in a hello; supported_versions, key_share and
// pre_shared_key have no form here and do not parse (see extContext).
// After Unmarshal, the byte slices alias the body that was parsed.
type EncryptedExtensions struct {
	Extensions Extensions
}

// Marshal returns the encoded EncryptedExtensions body, or an error if an
// extension cannot be encoded or has no form in this message.
func (m *EncryptedExtensions) Marshal() ([]byte, error) {
	if err := m.Extensions.check(inEncryptedExtensions); err != nil {
		return nil, err
	}
	a := newAppender(64)
	if m.Extensions.empty() {
		a.u16(0)
	}
	m.Extensions.marshal(&a)
	return a.result()
}

// Unmarshal parses an EncryptedExtensions body into m and reports whether
// it is well formed, with nothing left over.
func (m *EncryptedExtensions) Unmarshal(body []byte) bool {
	*m = EncryptedExtensions{}
	s := cryptobyte.String(body)
	return !s.Empty() && m.Extensions.unmarshal(&s, inEncryptedExtensions)
}
