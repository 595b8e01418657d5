package handshake

// RequestConnectionID is the RequestConnectionId message body of RFC 9147,
// Section 9, with which a DTLS 1.3 peer asks the other for more CIDs:
//
//	struct {
//	    uint8 num_cids;
//	} RequestConnectionId;
type RequestConnectionID struct {
	NumCIDs uint8
}

// Marshal returns the encoded RequestConnectionId body, one byte.
func (m *RequestConnectionID) Marshal() ([]byte, error) {
	return []byte{m.NumCIDs}, nil
}

// Unmarshal parses a RequestConnectionId body into m and reports whether it
// is one byte.
func (m *RequestConnectionID) Unmarshal(body []byte) bool {
	*m = RequestConnectionID{}
	if len(body) != 1 {
		return false
	}
	m.NumCIDs = body[0]
	return true
}
