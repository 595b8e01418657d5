package handshake

import (
	"strings"
	"testing"
)

func newCertificateRequest13() message { return new(CertificateRequest13) }

var certificateRequest13Hex = []string{
	"00",                       // certificate_request_context: empty
	"0029",                     // extensions length: 41
	"000d 0006 0004 0403 0804", // signature_algorithms
	"002f 0013 0011 000f",      // certificate_authorities: one DN
	testDNHex,
	"0032 0004 0002 0403", // signature_algorithms_cert
}

func TestCertificateRequest13Vectors(t *testing.T) {
	tests := []struct {
		name string
		m    CertificateRequest13
		raw  []string
	}{
		{
			"all three extensions",
			CertificateRequest13{Extensions: Extensions{
				SignatureAlgorithms:     []uint16{0x0403, 0x0804},
				CertificateAuthorities:  [][]byte{unhexConst(testDNHex)},
				SignatureAlgorithmsCert: []uint16{0x0403},
			}},
			certificateRequest13Hex,
		},
		{
			// Post-handshake authentication names its request.
			"a context",
			CertificateRequest13{Context: []byte{7, 7}, Extensions: Extensions{SignatureAlgorithms: []uint16{0x0807}}},
			[]string{"02 0707", "0008", "000d 0004 0002 0807"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newCertificateRequest13, unhex(t, tt.raw...), nil)
		})
	}
}

func TestCertificateRequest13Malformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":                     "",
		"no extensions":             "00",
		"empty extensions":          "00 0000",
		"context past the end":      "03 0102",
		"trailing byte":             "00 0008 000d 0004 0002 0807 00",
		"supported_versions":        "00 0006 002b 0002 fefc",
		"key_share":                 "00 0006 0033 0002 0017",
		"empty DN list":             "00 000e 000d 0004 0002 0807 002f 0002 0000",
		"duplicate extension":       "00 0010 000d 0004 0002 0807 000d 0004 0002 0807",
		"block length past the end": "00 0009 000d 0004 0002 0807",
	} {
		var m CertificateRequest13
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("%s: Unmarshal accepted %q", name, raw)
		}
	}
	// Without signature_algorithms the body parses: its absence is for the
	// engine to answer with missing_extension.
	var m CertificateRequest13
	if !m.Unmarshal(unhex(t, "00 0008 0032 0004 0002 0403")) || len(m.Extensions.SignatureAlgorithms) != 0 {
		t.Errorf("a request without signature_algorithms did not parse")
	}
	sigAlgs := Extensions{SignatureAlgorithms: []uint16{0x0403}}
	for name, m := range map[string]CertificateRequest13{
		"no signature_algorithms": {Extensions: Extensions{SignatureAlgorithmsCert: []uint16{0x0403}}},
		"nothing":                 {},
		"context of 256 bytes":    {Context: make([]byte, 256), Extensions: sigAlgs},
		"key_share":               {Extensions: Extensions{SignatureAlgorithms: []uint16{0x0403}, HRRGroup: 0x17}},
	} {
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", name, err)
		}
	}
}

func FuzzCertificateRequest13(f *testing.F) {
	f.Add(unhex(f, certificateRequest13Hex...))
	f.Add(unhex(f, "02 0707 0008 000d 0004 0002 0807"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m CertificateRequest13
		if m.Unmarshal(b) && len(m.Extensions.SignatureAlgorithms) == 0 {
			// It parses, for the engine to refuse, and does not marshal.
			if _, err := m.Marshal(); err == nil {
				t.Fatalf("Marshal without signature_algorithms succeeded")
			}
			return
		}
		checkStable(t, newCertificateRequest13, b, false)
	})
}
