package handshake

// ServerHelloDone is the ServerHelloDone message body of RFC 5246, Section
// 7.4.5 (RFC 4346, Section 7.4.5 for DTLS 1.0), which is empty:
//
//	struct { } ServerHelloDone;
type ServerHelloDone struct{}

// Marshal returns the empty ServerHelloDone body. It never fails.
func (m *ServerHelloDone) Marshal() ([]byte, error) {
	return []byte{}, nil
}

// Unmarshal reports whether body is a valid ServerHelloDone body, that is,
// whether it is empty.
func (m *ServerHelloDone) Unmarshal(body []byte) bool {
	return len(body) == 0
}
