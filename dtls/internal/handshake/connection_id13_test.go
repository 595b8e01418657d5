package handshake

import (
	"strings"
	"testing"
)

func newNewConnectionID() message     { return new(NewConnectionID) }
func newRequestConnectionID() message { return new(RequestConnectionID) }

func TestNewConnectionIDVectors(t *testing.T) {
	tests := []struct {
		name string
		m    NewConnectionID
		raw  []string
	}{
		{"none", NewConnectionID{Usage: CIDSpare}, []string{"0000", "01"}},
		{
			"two, at once",
			NewConnectionID{CIDs: [][]byte{{0xc1, 0xc2}, {0xd1, 0xd2, 0xd3, 0xd4}}},
			[]string{"0008", "02 c1c2", "04 d1d2d3d4", "00"},
		},
		{
			"a CID of 255 bytes",
			NewConnectionID{CIDs: [][]byte{[]byte(strings.Repeat("\x5e", 255))}, Usage: CIDSpare},
			[]string{"0100 ff", strings.Repeat("5e", 255), "01"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newNewConnectionID, unhex(t, tt.raw...), nil)
		})
	}
	for name, raw := range map[string]string{
		"empty":             "",
		"no usage":          "0000",
		"usage 2":           "0000 02",
		"CID past the list": "0002 02 c1 00",
		"trailing byte":     "0000 00 00",
	} {
		var m NewConnectionID
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("%s: Unmarshal accepted %q", name, raw)
		}
	}
	for name, m := range map[string]NewConnectionID{
		"usage 2":      {Usage: 2},
		"CID too long": {CIDs: [][]byte{make([]byte, 256)}},
		"too many":     {CIDs: make([][]byte, 1<<16)},
	} {
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", name, err)
		}
	}
}

func TestRequestConnectionID(t *testing.T) {
	checkVector(t, &RequestConnectionID{NumCIDs: 3}, newRequestConnectionID, []byte{3}, nil)
	for _, raw := range [][]byte{nil, {1, 2}} {
		var m RequestConnectionID
		if m.Unmarshal(raw) {
			t.Errorf("Unmarshal(%x) succeeded", raw)
		}
	}
}

func FuzzNewConnectionID(f *testing.F) {
	for _, m := range []NewConnectionID{
		{Usage: CIDSpare},
		{CIDs: [][]byte{{0xc1, 0xc2}, {0xd1, 0xd2, 0xd3, 0xd4}}},
		{CIDs: [][]byte{{}, {1}}, Usage: CIDSpare},
	} {
		b, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newNewConnectionID, b, true)
	})
}

func FuzzRequestConnectionID(f *testing.F) {
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newRequestConnectionID, b, true)
	})
}
