package handshake

import (
	"strings"
	"testing"
)

func newNewSessionTicket13() message { return new(NewSessionTicket13) }

var newSessionTicket13Hex = []string{
	"00015180",      // ticket_lifetime: 86400 s
	"01020304",      // ticket_age_add
	"01 00",         // ticket_nonce: one byte
	"0004 74697874", // ticket
	"0000",          // extensions: none
}

func TestNewSessionTicket13Vectors(t *testing.T) {
	tests := []struct {
		name string
		m    NewSessionTicket13
		raw  []string
	}{
		{
			"a day's ticket",
			NewSessionTicket13{Lifetime: 86400, AgeAdd: 0x01020304, Nonce: []byte{0}, Ticket: []byte("tixt")},
			newSessionTicket13Hex,
		},
		{
			"early_data, the longest lifetime, no nonce",
			NewSessionTicket13{Lifetime: MaxTicketLifetime, Ticket: []byte{0xaa}, EarlyData: true, MaxEarlyDataSize: 0x4000},
			[]string{
				"00093a80",                // ticket_lifetime: 7 days
				"00000000",                // ticket_age_add
				"00",                      // ticket_nonce: empty
				"0001 aa",                 // ticket
				"0008 002a 0004 00004000", // extensions: early_data, max_early_data_size 16384
			},
		},
		{
			"the longest ticket",
			NewSessionTicket13{Lifetime: 1, Nonce: make([]byte, 255), Ticket: []byte(strings.Repeat("\x5a", 1<<16-1))},
			[]string{"00000001 00000000", "ff", strings.Repeat("00", 255), "ffff", strings.Repeat("5a", 1<<16-1), "0000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newNewSessionTicket13, unhex(t, tt.raw...), nil)
		})
	}
}

func TestNewSessionTicket13Unmarshal(t *testing.T) {
	const head = "00015180 01020304 00 0001 aa "
	for name, raw := range map[string]string{
		"empty":                      "",
		"no extensions":              "00015180 01020304 00 0001 aa",
		"empty ticket":               "00015180 01020304 00 0000 0000",
		"nonce past the end":         "00015180 01020304 05 0001",
		"trailing byte":              head + "0000 00",
		"extensions past the end":    head + "0004 002a",
		"extensions of 2^16-1 bytes": head + "ffff 1234 fffb" + strings.Repeat("00", 1<<16-5),
		"early_data short":           head + "0007 002a 0003 000040",
		"early_data long":            head + "0009 002a 0005 0000400000",
		"early_data twice":           head + "0010 002a 0004 00004000 002a 0004 00004000",
		"unknown extension twice":    head + "0008 1234 0000 1234 0000",
		"extension header truncated": head + "0003 002a 00",
	} {
		var m NewSessionTicket13
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("%s: Unmarshal accepted it", name)
		}
	}
	var m NewSessionTicket13
	if !m.Unmarshal(unhex(t, head+"000d 1234 0001 ff 002a 0004 00000400")) || !m.EarlyData || m.MaxEarlyDataSize != 1024 {
		t.Errorf("an unknown extension beside early_data: %+v", m)
	}
	// A client caps a lifetime over 7 days itself (RFC 8446, Section 4.6.1).
	if !m.Unmarshal(unhex(t, "ffffffff 01020304 00 0001 aa 0000")) || m.Lifetime != 1<<32-1 {
		t.Errorf("a lifetime over 7 days did not parse")
	}
}

func TestNewSessionTicket13MarshalErrors(t *testing.T) {
	ticket := []byte{1}
	for name, m := range map[string]NewSessionTicket13{
		"no ticket":            {},
		"ticket too long":      {Ticket: make([]byte, 1<<16)},
		"nonce too long":       {Ticket: ticket, Nonce: make([]byte, 256)},
		"lifetime over 7 days": {Ticket: ticket, Lifetime: MaxTicketLifetime + 1},
	} {
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", name, err)
		}
	}
}

func FuzzNewSessionTicket13(f *testing.F) {
	f.Add(unhex(f, newSessionTicket13Hex...))
	f.Add(unhex(f, "00093a80 00000000 00 0001 aa 0008 002a 0004 00004000"))
	f.Add(unhex(f, "00015180 01020304 00 0001 aa 000d 1234 0001 ff 002a 0004 00000400"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m NewSessionTicket13
		if m.Unmarshal(b) && m.Lifetime > MaxTicketLifetime {
			// It parses, for the client to cap, and does not marshal.
			if _, err := m.Marshal(); err == nil {
				t.Fatalf("Marshal of lifetime %d succeeded", m.Lifetime)
			}
			return
		}
		checkStable(t, newNewSessionTicket13, b, false)
	})
}
