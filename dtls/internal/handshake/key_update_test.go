package handshake

import "testing"

func newKeyUpdate() message { return new(KeyUpdate) }

func TestKeyUpdate(t *testing.T) {
	checkVector(t, &KeyUpdate{}, newKeyUpdate, []byte{0}, nil)                    // update_not_requested
	checkVector(t, &KeyUpdate{RequestUpdate: true}, newKeyUpdate, []byte{1}, nil) // update_requested
	for _, raw := range [][]byte{nil, {2}, {0xff}, {0, 0}, {1, 0}} {
		var m KeyUpdate
		if m.Unmarshal(raw) {
			t.Errorf("Unmarshal(%x) succeeded", raw)
		}
	}
}

func FuzzKeyUpdate(f *testing.F) {
	for _, m := range []KeyUpdate{{}, {RequestUpdate: true}} {
		b, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newKeyUpdate, b, true)
	})
}
