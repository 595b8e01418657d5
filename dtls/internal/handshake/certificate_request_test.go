package handshake

import (
	"strings"
	"testing"
)

func newCR12() message { return atVersion{new(CertificateRequest), true} }
func newCR10() message { return atVersion{new(CertificateRequest), false} }

// testDN is a stand-in DER DistinguishedName: SEQUENCE { SET { SEQUENCE {
// commonName, UTF8String "CA" } } }.
const testDNHex = "300d310b300906035504030c024341"

func TestCertificateRequestVectors(t *testing.T) {
	m := CertificateRequest{
		CertificateTypes:    []uint8{1, 64},
		SignatureAlgorithms: []uint16{0x0403, 0x0804},
		Authorities:         [][]byte{unhexConst(testDNHex)},
	}
	t.Run("DTLS 1.2", func(t *testing.T) {
		raw := unhex(t,
			"02 01 40",        // certificate_types: rsa_sign, ecdsa_sign
			"0004 0403 0804",  // supported_signature_algorithms
			"0011",            // certificate_authorities length: 17
			"000f", testDNHex, // DistinguishedName
		)
		checkVector(t, atVersion{&m, true}, newCR12, raw, nil)
	})
	t.Run("DTLS 1.0", func(t *testing.T) {
		m10 := m
		m10.SignatureAlgorithms = nil
		raw := unhex(t,
			"02 01 40", // certificate_types: rsa_sign, ecdsa_sign
			"0011",     // certificate_authorities length: 17
			"000f", testDNHex,
		)
		checkVector(t, atVersion{&m10, false}, newCR10, raw, nil)
	})
	t.Run("no authorities", func(t *testing.T) {
		m := CertificateRequest{CertificateTypes: []uint8{64}, SignatureAlgorithms: []uint16{0x0403}}
		checkVector(t, atVersion{&m, true}, newCR12, unhex(t, "01 40 0002 0403 0000"), nil)
	})
}

func TestCertificateRequestUnmarshalErrors(t *testing.T) {
	for _, tt := range []struct {
		raw   string
		tls12 bool
	}{
		{"00 0002 0403 0000", true},             // no certificate types
		{"01 40 0000 0000", true},               // no signature algorithms
		{"01 40 0003 040300 0000", true},        // odd signature algorithms length
		{"01 40 0002 0403 0002 0000", true},     // empty DistinguishedName
		{"01 40 0002 0403 0003 0001 aa", false}, // DTLS 1.2 body read as DTLS 1.0
		{"01 40 0002 0403 0000 00", true},       // trailing byte
		{"01 40 0004 0001 aa ff", false},        // trailing byte in the list
	} {
		var m CertificateRequest
		if m.Unmarshal(unhex(t, tt.raw), tt.tls12) {
			t.Errorf("Unmarshal(%s, %v) succeeded", tt.raw, tt.tls12)
		}
	}
}

func TestCertificateRequestMarshalErrors(t *testing.T) {
	tests := []struct {
		name  string
		m     CertificateRequest
		tls12 bool
	}{
		{"no certificate types", CertificateRequest{SignatureAlgorithms: []uint16{0x0403}}, true},
		{"no signature algorithms", CertificateRequest{CertificateTypes: []uint8{64}}, true},
		{"empty authority", CertificateRequest{CertificateTypes: []uint8{64}, Authorities: [][]byte{{}}}, false},
		{"authorities too long", CertificateRequest{CertificateTypes: []uint8{64}, Authorities: [][]byte{make([]byte, 1<<15), make([]byte, 1<<15)}}, false},
	}
	for _, tt := range tests {
		if _, err := tt.m.Marshal(tt.tls12); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", tt.name, err)
		}
	}
}

func FuzzCertificateRequest(f *testing.F) {
	addCaptured(f, TypeCertificateRequest)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newCR12, b, true)
		checkStable(t, newCR10, b, true)
	})
}
