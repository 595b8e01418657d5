package handshake

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// CIDImmediate and CIDSpare are the ConnectionIdUsage values of RFC 9147,
// Section 9, for NewConnectionID.Usage.
const (
	CIDImmediate uint8 = 0 // use one of the new CIDs at once
	CIDSpare     uint8 = 1 // keep them for later
)

// NewConnectionID is the NewConnectionId message body of RFC 9147, Section
// 9, with which a DTLS 1.3 peer that negotiated connection_id gives the
// other CIDs to send with:
//
//	enum {
//	    cid_immediate(0), cid_spare(1), (255)
//	} ConnectionIdUsage;
//
//	opaque ConnectionId<0..2^8-1>;
//
//	struct {
//	    ConnectionId cids<0..2^16-1>;
//	    ConnectionIdUsage usage;
//	} NewConnectionId;
//
// A usage other than CIDImmediate and CIDSpare does not parse. After
// Unmarshal, the CIDs alias the body that was parsed.
type NewConnectionID struct {
	CIDs  [][]byte
	Usage uint8
}

// Marshal returns the encoded NewConnectionId body, or an error if a CID or
// the list does not fit its bounds or Usage is unknown.
func (m *NewConnectionID) Marshal() ([]byte, error) {
	if m.Usage > CIDSpare {
		return nil, fmt.Errorf("dtls: NewConnectionId usage %d is not 0 (cid_immediate) or 1 (cid_spare)", m.Usage)
	}
	for i, cid := range m.CIDs {
		if err := checkLen(fmt.Sprintf("NewConnectionId cids[%d]", i), len(cid), 0, 1<<8-1); err != nil {
			return nil, err
		}
	}
	a := newAppender(8)
	list := a.begin(2)
	for _, cid := range m.CIDs {
		a.opaque8(cid)
	}
	a.end(list, 2)
	a.u8(m.Usage)
	return a.result()
}

// Unmarshal parses a NewConnectionId body into m and reports whether it is
// well formed, with nothing left over.
func (m *NewConnectionID) Unmarshal(body []byte) bool {
	*m = NewConnectionID{}
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.ReadUint8(&m.Usage) || !s.Empty() || m.Usage > CIDSpare {
		return false
	}
	for !list.Empty() {
		var cid []byte
		if !readOpaque8(&list, &cid, 0) {
			return false
		}
		m.CIDs = append(m.CIDs, cid)
	}
	return true
}
