package handshake

import (
	"bytes"
	"strings"
	"testing"
)

func newSKE12() message  { return atVersion{new(ServerKeyExchangeECDHE), true} }
func newSKE10() message  { return atVersion{new(ServerKeyExchangeECDHE), false} }
func newSKEPSK() message { return new(ServerKeyExchangePSK) }

// testPoint is a stand-in 32-byte X25519 public key.
const testPointHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var skeVector = ServerKeyExchangeECDHE{
	Curve:     0x001d,
	PublicKey: unhexConst(testPointHex),
	SigAlg:    0x0403,
	Signature: []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02},
}

var skeParamsHex = []string{
	"03",         // curve_type: named_curve
	"001d",       // namedcurve: x25519
	"20",         // point length
	testPointHex, // point
}

func TestServerKeyExchangeECDHEVectors(t *testing.T) {
	t.Run("DTLS 1.2", func(t *testing.T) {
		raw := unhex(t, append(skeParamsHex,
			"0403",                  // SignatureAndHashAlgorithm: ecdsa_secp256r1_sha256
			"0008 3006020101020102", // signature
		)...)
		checkVector(t, atVersion{&skeVector, true}, newSKE12, raw, nil)
	})
	t.Run("DTLS 1.0", func(t *testing.T) {
		m := skeVector
		m.SigAlg = 0
		raw := unhex(t, append(skeParamsHex,
			"0008 3006020101020102", // signature
		)...)
		checkVector(t, atVersion{&m, false}, newSKE10, raw, nil)
	})
}

func TestServerKeyExchangeECDHEParams(t *testing.T) {
	if got, want := skeVector.AppendParams(nil), unhex(t, skeParamsHex...); !bytes.Equal(got, want) {
		t.Errorf("AppendParams(nil) = %x, want %x", got, want)
	}
	if got, want := skeVector.AppendParams([]byte("randoms")), append([]byte("randoms"), unhex(t, skeParamsHex...)...); !bytes.Equal(got, want) {
		t.Errorf("AppendParams(randoms) = %x, want %x", got, want)
	}
	for _, n := range []int{0, 256} {
		m := ServerKeyExchangeECDHE{Curve: 0x0017, PublicKey: make([]byte, n)}
		if p := m.AppendParams([]byte("x")); p != nil {
			t.Errorf("AppendParams with a %d-byte point = %x, want nil", n, p)
		}
	}
}

func TestServerKeyExchangeECDHEUnmarshalErrors(t *testing.T) {
	for _, tt := range []struct {
		raw   string
		tls12 bool
	}{
		{"01 001d 01 aa 0403 0000", true},    // explicit_prime curve_type
		{"02 001d 01 aa 0403 0000", true},    // explicit_char2 curve_type
		{"03 001d 00 0403 0000", true},       // empty point
		{"03 001d 01 aa 0403 0000 00", true}, // trailing byte
		{"03 001d 01 aa 0403", true},         // no signature
		{"03 001d 01 aa 00", false},          // short signature length
		{"03 001d 01 aa 0000 0000", false},   // a DTLS 1.2 body read as DTLS 1.0
	} {
		var m ServerKeyExchangeECDHE
		if m.Unmarshal(unhex(t, tt.raw), tt.tls12) {
			t.Errorf("Unmarshal(%s, %v) succeeded", tt.raw, tt.tls12)
		}
	}
}

func TestServerKeyExchangeECDHEMarshalErrors(t *testing.T) {
	for _, m := range []ServerKeyExchangeECDHE{
		{Curve: 0x001d},
		{Curve: 0x001d, PublicKey: make([]byte, 256)},
		{Curve: 0x001d, PublicKey: []byte{4}, Signature: make([]byte, 1<<16)},
	} {
		for _, tls12 := range []bool{false, true} {
			if _, err := m.Marshal(tls12); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
				t.Errorf("Marshal(%v) of a %d-byte point and %d-byte signature: error = %v", tls12, len(m.PublicKey), len(m.Signature), err)
			}
		}
	}
}

func TestServerKeyExchangePSKVectors(t *testing.T) {
	checkVector(t, &ServerKeyExchangePSK{IdentityHint: []byte("hint")}, newSKEPSK,
		unhex(t, "0004 68696e74"), nil) // psk_identity_hint: "hint"
	checkVector(t, &ServerKeyExchangePSK{}, newSKEPSK, unhex(t, "0000"), nil)
	if _, err := (&ServerKeyExchangePSK{IdentityHint: make([]byte, 1<<16)}).Marshal(); err == nil {
		t.Error("Marshal of a 65536-byte hint succeeded")
	}
}

func FuzzServerKeyExchange(f *testing.F) {
	addCaptured(f, TypeServerKeyExchange)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newSKE12, b, true)
		checkStable(t, newSKE10, b, true)
		checkStable(t, newSKEPSK, b, true)
		var m ServerKeyExchangeECDHE
		if m.Unmarshal(b, true) && !bytes.HasPrefix(b, m.AppendParams(nil)) {
			t.Fatalf("AppendParams = %x is not a prefix of the body %x", m.AppendParams(nil), b)
		}
	})
}
