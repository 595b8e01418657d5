package handshake

import (
	"errors"
	"slices"
)

// Finished is the Finished message body of RFC 5246, Section 7.4.9 (RFC
// 4346, Section 7.4.9 for DTLS 1.0):
//
//	struct {
//	    opaque verify_data[verify_data_length];
//	} Finished;
//
// verify_data has no length prefix: it is the whole body. Its length
// depends on the cipher suite (12 bytes for every DTLS 1.2 suite pathdtls
// supports; in DTLS 1.3 the suite hash's length, 32 bytes for SHA-256 and
// 48 for SHA-384, RFC 8446, Section 4.4.4), so this type accepts any
// non-empty length and the handshake engine checks the one it expects. After Unmarshal, VerifyData aliases the body that was
// parsed.
type Finished struct {
	VerifyData []byte
}

// Marshal returns a copy of VerifyData as the body, or an error if it is
// empty.
func (m *Finished) Marshal() ([]byte, error) {
	if len(m.VerifyData) == 0 {
		return nil, errors.New("dtls: Finished verify_data is empty")
	}
	return slices.Clone(m.VerifyData), nil
}

// Unmarshal sets VerifyData to body and reports whether body is non-empty.
func (m *Finished) Unmarshal(body []byte) bool {
	*m = Finished{}
	if len(body) == 0 {
		return false
	}
	m.VerifyData = slices.Clip(body)
	return true
}
