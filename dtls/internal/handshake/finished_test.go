package handshake

import (
	"bytes"
	"testing"
)

func TestFinished(t *testing.T) {
	// verify_data has no length prefix: the body is the verify_data, and
	// any non-empty body parses.
	for _, raw := range [][]byte{
		unhex(t, "c31f420899b396c4442342be"), // 12 bytes, as in every suite pathdtls supports
		{0x01},
		bytes.Repeat([]byte{0xab}, 32), // DTLS 1.3 with SHA-256
		bytes.Repeat([]byte{0xab}, 48), // DTLS 1.3 with SHA-384
	} {
		m := Finished{VerifyData: bytes.Clone(raw)}
		out, err := m.Marshal()
		if err != nil || !bytes.Equal(out, raw) {
			t.Errorf("Marshal = %x, %v; want %x", out, err, raw)
		}
		out[0] ^= 0xff
		if !bytes.Equal(m.VerifyData, raw) {
			t.Error("Marshal returned VerifyData itself, not a copy")
		}
		var got Finished
		if !got.Unmarshal(raw) || !bytes.Equal(got.VerifyData, raw) {
			t.Errorf("Unmarshal(%x) = %x", raw, got.VerifyData)
		}
		if cap(got.VerifyData) != len(got.VerifyData) {
			t.Errorf("VerifyData has spare capacity")
		}
	}
	var empty Finished
	if empty.Unmarshal(nil) || empty.Unmarshal([]byte{}) {
		t.Error("Unmarshal accepted an empty body")
	}
	if _, err := empty.Marshal(); err == nil {
		t.Error("Marshal of empty verify_data succeeded")
	}
}
