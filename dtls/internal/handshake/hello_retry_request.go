package handshake

// HelloRetryRequestRandom is the Random of a HelloRetryRequest,
// SHA-256("HelloRetryRequest") (RFC 8446, Section 4.1.3). A
// HelloRetryRequest is a ServerHello with this Random (RFC 8446, Section
// 4.1.4; in DTLS 1.3 it replaces HelloVerifyRequest, RFC 9147, Section
// 5.1):
//
//	CF 21 AD 74 E5 9A 61 11 BE 1D 8C 02 1E 65 B8 91
//	C2 A2 11 16 7A BB 8C 5E 07 9E 09 E2 C8 A8 33 9C
//
// Its extensions are supported_versions (selected_version), key_share
// (selected_group, Extensions.HRRGroup) and cookie; ServerHello parses them
// in that form when the Random matches. It is a variable only because Go
// has no array constants: nothing may assign to it.
var HelloRetryRequestRandom = [32]byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// IsHelloRetryRequest reports whether m is a HelloRetryRequest: whether its
// Random is HelloRetryRequestRandom (RFC 8446, Section 4.1.3). The Random is
// public, so the comparison need not be constant-time.
func (m *ServerHello) IsHelloRetryRequest() bool {
	return m.Random == HelloRetryRequestRandom
}

// context returns the message m's extensions are in.
func (m *ServerHello) context() extContext {
	if m.IsHelloRetryRequest() {
		return inHelloRetryRequest
	}
	return inServerHello
}
