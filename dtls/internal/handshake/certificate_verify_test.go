package handshake

import (
	"bytes"
	"strings"
	"testing"
)

func newCV12() message { return atVersion{new(CertificateVerify), true} }
func newCV10() message { return atVersion{new(CertificateVerify), false} }

func TestCertificateVerifyVectors(t *testing.T) {
	sig := []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02}
	checkVector(t, atVersion{&CertificateVerify{SigAlg: 0x0403, Signature: sig}, true}, newCV12, unhex(t,
		"0403",                  // SignatureAndHashAlgorithm: ecdsa_secp256r1_sha256
		"0008 3006020101020102", // signature
	), nil)
	checkVector(t, atVersion{&CertificateVerify{Signature: sig}, false}, newCV10, unhex(t,
		"0008 3006020101020102", // signature
	), nil)
	checkVector(t, atVersion{&CertificateVerify{SigAlg: 0x0804}, true}, newCV12, unhex(t, "0804 0000"), nil)
}

// TestCertificateVerify13 checks the TLS 1.3 CertificateVerify (RFC 8446,
// Section 4.4.3), a SignatureScheme and signature<0..2^16-1>: the DTLS 1.2
// layout.
func TestCertificateVerify13(t *testing.T) {
	sig := bytes.Repeat([]byte{0x5a}, 64)
	checkVector(t, atVersion{&CertificateVerify{SigAlg: 0x0807, Signature: sig}, true}, newCV12, unhex(t,
		"0807",                           // SignatureScheme: ed25519
		"0040", strings.Repeat("5a", 64), // signature
	), nil)
}

func TestCertificateVerifyErrors(t *testing.T) {
	var m CertificateVerify
	for _, tt := range []struct {
		raw   string
		tls12 bool
	}{
		{"0403 0001", true},       // signature runs past the end
		{"0403 0001 aa bb", true}, // trailing byte
		{"0403 0000", false},      // DTLS 1.2 body read as DTLS 1.0
		{"", false},
	} {
		if m.Unmarshal(unhex(t, tt.raw), tt.tls12) {
			t.Errorf("Unmarshal(%s, %v) succeeded", tt.raw, tt.tls12)
		}
	}
	m = CertificateVerify{Signature: make([]byte, 1<<16)}
	if _, err := m.Marshal(true); err == nil {
		t.Error("Marshal of a 65536-byte signature succeeded")
	}
}

func FuzzCertificateVerify(f *testing.F) {
	addCaptured(f, TypeCertificateVerify)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newCV12, b, true)
		checkStable(t, newCV10, b, true)
	})
}
