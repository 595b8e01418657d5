package handshake

import "testing"

func newSKEECDHEPSK() message { return new(ServerKeyExchangeECDHEPSK) }
func newCKEECDHEPSK() message { return new(ClientKeyExchangeECDHEPSK) }

// TestECDHEPSKVectors checks the ECDHE_PSK messages of RFC 5489 §2
// against encodings written out by hand.
func TestECDHEPSKVectors(t *testing.T) {
	t.Run("ServerKeyExchange", func(t *testing.T) {
		m := &ServerKeyExchangeECDHEPSK{IdentityHint: []byte("hint"), Curve: 0x001d, PublicKey: unhexConst(testPointHex)}
		raw := unhex(t,
			"0004 68696e74", // psk_identity_hint "hint"
			"03 001d",       // named_curve x25519
			"20", testPointHex,
		)
		checkVector(t, m, newSKEECDHEPSK, raw, nil)
	})
	t.Run("ServerKeyExchange, no hint", func(t *testing.T) {
		m := &ServerKeyExchangeECDHEPSK{Curve: 0x0017, PublicKey: []byte{4, 1, 2}}
		checkVector(t, m, newSKEECDHEPSK, unhex(t, "0000 03 0017 03 040102"), nil)
	})
	t.Run("ClientKeyExchange", func(t *testing.T) {
		m := &ClientKeyExchangeECDHEPSK{Identity: []byte("id"), PublicKey: unhexConst(testPointHex)}
		checkVector(t, m, newCKEECDHEPSK, unhex(t, "0002 6964", "20", testPointHex), nil)
	})
	for name, raw := range map[string]string{
		"explicit curve": "0000 01 0017 03 040102",
		"empty point":    "0000 03 0017 00",
	} {
		if newSKEECDHEPSK().Unmarshal(unhex(t, raw)) {
			t.Errorf("ServerKeyExchange with %s parsed", name)
		}
	}
	if newCKEECDHEPSK().Unmarshal(unhex(t, "0000 00")) {
		t.Error("ClientKeyExchange with an empty point parsed")
	}
}

func FuzzECDHEPSKKeyExchange(f *testing.F) {
	f.Add(unhex(f, "0004 68696e74 03 001d 20", testPointHex))
	f.Add(unhex(f, "0002 6964 20", testPointHex))
	f.Add(unhex(f, "0000 03 0017 03 040102"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newSKEECDHEPSK, b, true)
		checkStable(t, newCKEECDHEPSK, b, true)
	})
}
