package handshake

import (
	"strings"
	"testing"
)

func newCKEECDHE() message { return new(ClientKeyExchangeECDHE) }
func newCKEPSK() message   { return new(ClientKeyExchangePSK) }

func TestClientKeyExchangeECDHEVectors(t *testing.T) {
	m := ClientKeyExchangeECDHE{PublicKey: unhexConst(testPointHex)}
	checkVector(t, &m, newCKEECDHE, unhex(t, "20", testPointHex), nil) // ecdh_Yc
	// An uncompressed P-256 point: 0x04, then X and Y.
	p256 := "04" + strings.Repeat("11", 32) + strings.Repeat("22", 32)
	m = ClientKeyExchangeECDHE{PublicKey: unhex(t, p256)}
	checkVector(t, &m, newCKEECDHE, unhex(t, "41", p256), nil)
}

func TestClientKeyExchangeECDHEErrors(t *testing.T) {
	for _, raw := range []string{"", "00", "02 aa", "01 aa bb"} {
		var m ClientKeyExchangeECDHE
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("Unmarshal(%s) succeeded", raw)
		}
	}
	for _, n := range []int{0, 256} {
		m := ClientKeyExchangeECDHE{PublicKey: make([]byte, n)}
		if _, err := m.Marshal(); err == nil {
			t.Errorf("Marshal of a %d-byte point succeeded", n)
		}
	}
}

func TestClientKeyExchangePSKVectors(t *testing.T) {
	m := ClientKeyExchangePSK{Identity: []byte("Client_identity")}
	checkVector(t, &m, newCKEPSK, unhex(t, "000f", "436c69656e745f6964656e74697479"), nil) // psk_identity
	checkVector(t, &ClientKeyExchangePSK{}, newCKEPSK, unhex(t, "0000"), nil)
}

func TestClientKeyExchangePSKErrors(t *testing.T) {
	for _, raw := range []string{"", "00", "0002 aa", "0001 aa bb"} {
		var m ClientKeyExchangePSK
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("Unmarshal(%s) succeeded", raw)
		}
	}
	m := ClientKeyExchangePSK{Identity: make([]byte, 1<<16)}
	if _, err := m.Marshal(); err == nil {
		t.Error("Marshal of a 65536-byte identity succeeded")
	}
}

func FuzzClientKeyExchange(f *testing.F) {
	addCaptured(f, TypeClientKeyExchange)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newCKEECDHE, b, true)
		checkStable(t, newCKEPSK, b, true)
	})
}
