package handshake

import (
	"cmp"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// MaxTicketLifetime is the longest ticket_lifetime a TLS 1.3
// NewSessionTicket may give, 7 days in seconds (RFC 8446, Section 4.6.1).
const MaxTicketLifetime = 604800

// NewSessionTicket13 is the NewSessionTicket message body of TLS 1.3 (RFC
// 8446, Section 4.6.1), which a DTLS 1.3 server sends after the handshake
// to give the client a PSK to resume with:
//
//	struct {
//	    uint32 ticket_lifetime;
//	    uint32 ticket_age_add;
//	    opaque ticket_nonce<0..255>;
//	    opaque ticket<1..2^16-1>;
//	    Extension extensions<0..2^16-2>;
//	} NewSessionTicket;
//
// The only extension defined for it is early_data (RFC 8446, Section
// 4.2.10), whose body here is a uint32 max_early_data_size; others are
// skipped, and a type twice does not parse. Marshal refuses a lifetime over
// MaxTicketLifetime; Unmarshal accepts one, as the client is the one to
// cap it. After Unmarshal, Nonce and Ticket alias the body that was parsed.
type NewSessionTicket13 struct {
	Lifetime uint32 // ticket_lifetime, in seconds; 0 to discard the ticket at once
	AgeAdd   uint32 // ticket_age_add
	Nonce    []byte // ticket_nonce<0..255>
	Ticket   []byte // ticket<1..2^16-1>
	// EarlyData is whether early_data is there, and MaxEarlyDataSize its
	// max_early_data_size. pathdtls sends no 0-RTT data.
	EarlyData        bool
	MaxEarlyDataSize uint32
}

// Marshal returns the encoded NewSessionTicket body, or an error if a field
// does not fit its bounds.
func (m *NewSessionTicket13) Marshal() ([]byte, error) {
	var lifetime error
	if m.Lifetime > MaxTicketLifetime {
		lifetime = fmt.Errorf("dtls: NewSessionTicket ticket_lifetime %d exceeds %d seconds", m.Lifetime, MaxTicketLifetime)
	}
	err := cmp.Or(
		lifetime,
		checkLen("NewSessionTicket ticket_nonce", len(m.Nonce), 0, 1<<8-1),
		checkLen("NewSessionTicket ticket", len(m.Ticket), 1, 1<<16-1),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(20 + len(m.Nonce) + len(m.Ticket))
	a.u32(m.Lifetime)
	a.u32(m.AgeAdd)
	a.opaque8(m.Nonce)
	a.opaque16(m.Ticket)
	block := a.begin(2)
	if m.EarlyData {
		at := beginExtension(&a, extEarlyData)
		a.u32(m.MaxEarlyDataSize)
		a.end(at, 2)
	}
	a.end(block, 2)
	return a.result()
}

// Unmarshal parses a NewSessionTicket body into m and reports whether it
// is well formed, with nothing left over.
func (m *NewSessionTicket13) Unmarshal(body []byte) bool {
	*m = NewSessionTicket13{}
	s := cryptobyte.String(body)
	var block cryptobyte.String
	if !s.ReadUint32(&m.Lifetime) || !s.ReadUint32(&m.AgeAdd) ||
		!readOpaque8(&s, &m.Nonce, 0) || !readOpaque16(&s, &m.Ticket, 1) ||
		!s.ReadUint16LengthPrefixed(&block) || len(block) > 1<<16-2 || !s.Empty() ||
		!validExtensionList(block) {
		return false
	}
	for !block.Empty() {
		var typ uint16
		var ext cryptobyte.String
		block.ReadUint16(&typ)
		block.ReadUint16LengthPrefixed(&ext) // validExtensionList checked both reads
		if typ == extEarlyData {
			m.EarlyData = true
			if !ext.ReadUint32(&m.MaxEarlyDataSize) || !ext.Empty() {
				return false
			}
		}
	}
	return true
}
