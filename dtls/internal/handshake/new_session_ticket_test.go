package handshake

import (
	"strings"
	"testing"
)

func newNewSessionTicket() message { return new(NewSessionTicket) }

func TestNewSessionTicketVectors(t *testing.T) {
	tests := []struct {
		name string
		m    NewSessionTicket
		raw  []string
	}{
		{
			"a day's ticket",
			NewSessionTicket{LifetimeHint: 86400, Ticket: []byte("pathdtls-ticket")},
			[]string{
				"00015180",                             // ticket_lifetime_hint: 86400 s
				"000f 706174686474 6c732d7469636b6574", // ticket<0..2^16-1>
			},
		},
		{
			// RFC 5077, Section 3.3: a server that promised a ticket and
			// then gives none sends an empty one.
			"no ticket after all",
			NewSessionTicket{},
			[]string{"00000000", "0000"},
		},
		{
			"the longest ticket",
			NewSessionTicket{LifetimeHint: 1, Ticket: []byte(strings.Repeat("\x5a", 1<<16-1))},
			[]string{"00000001", "ffff", strings.Repeat("5a", 1<<16-1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newNewSessionTicket, unhex(t, tt.raw...), nil)
		})
	}
}

func TestNewSessionTicketMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":               "",
		"no ticket length":    "00015180",
		"short lifetime":      "000151",
		"ticket past the end": "00015180 0003 0102",
		"trailing byte":       "00015180 0001 01 00",
	} {
		var m NewSessionTicket
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("%s: Unmarshal accepted %q", name, raw)
		}
	}
	if _, err := (&NewSessionTicket{Ticket: make([]byte, 1<<16)}).Marshal(); err == nil {
		t.Error("Marshal of a 65536-byte ticket succeeded")
	}
}

func FuzzNewSessionTicket(f *testing.F) {
	for _, seed := range []string{"00015180 000f 706174686474 6c732d7469636b6574", "00000000 0000", "00000001 0001 ff"} {
		f.Add(unhexConst(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newNewSessionTicket, b, true)
	})
}
