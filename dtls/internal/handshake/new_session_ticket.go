package handshake

import (
	"golang.org/x/crypto/cryptobyte"
)

// NewSessionTicket is the NewSessionTicket message body of RFC 5077,
// Section 3.3, which a server sends before its ChangeCipherSpec to give the
// client a ticket to resume the session with:
//
//	struct {
//	    uint32 ticket_lifetime_hint;
//	    opaque ticket<0..2^16-1>;
//	} NewSessionTicket;
//
// The lifetime hint is in seconds, 0 for none. An empty ticket says that
// the server will not give one after all. After Unmarshal, Ticket aliases
// the body that was parsed.
type NewSessionTicket struct {
	LifetimeHint uint32
	Ticket       []byte // <0..2^16-1>
}

// Marshal returns the encoded NewSessionTicket body, or an error if the
// ticket is longer than 65535 bytes.
func (m *NewSessionTicket) Marshal() ([]byte, error) {
	if err := checkLen("NewSessionTicket ticket", len(m.Ticket), 0, 1<<16-1); err != nil {
		return nil, err
	}
	a := newAppender(6 + len(m.Ticket))
	a.u32(m.LifetimeHint)
	a.opaque16(m.Ticket)
	return a.result()
}

// Unmarshal parses a NewSessionTicket body into m and reports whether it
// is well formed, with nothing left over.
func (m *NewSessionTicket) Unmarshal(body []byte) bool {
	*m = NewSessionTicket{}
	s := cryptobyte.String(body)
	return s.ReadUint32(&m.LifetimeHint) && readOpaque16(&s, &m.Ticket, 0) && s.Empty()
}
