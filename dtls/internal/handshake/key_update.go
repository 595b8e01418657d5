package handshake

// KeyUpdate is the KeyUpdate message body of RFC 8446, Section 4.6.3, with
// which a DTLS 1.3 peer says it now sends under its next traffic keys
// (RFC 9147, Section 8):
//
//	enum {
//	    update_not_requested(0), update_requested(1), (255)
//	} KeyUpdateRequest;
//
//	struct {
//	    KeyUpdateRequest request_update;
//	} KeyUpdate;
//
// RequestUpdate is whether request_update is update_requested: whether
// the receiver is to update its own sending keys in turn. Any value but 0
// and 1 does not parse (RFC 8446 wants illegal_parameter for it).
type KeyUpdate struct {
	RequestUpdate bool
}

// Marshal returns the encoded KeyUpdate body, one byte.
func (m *KeyUpdate) Marshal() ([]byte, error) {
	if m.RequestUpdate {
		return []byte{1}, nil
	}
	return []byte{0}, nil
}

// Unmarshal parses a KeyUpdate body into m and reports whether it is one
// byte, 0 or 1.
func (m *KeyUpdate) Unmarshal(body []byte) bool {
	*m = KeyUpdate{}
	if len(body) != 1 || body[0] > 1 {
		return false
	}
	m.RequestUpdate = body[0] == 1
	return true
}
