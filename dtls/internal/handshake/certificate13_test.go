package handshake

import (
	"bytes"
	"strings"
	"testing"
)

func newCertificate13() message { return new(Certificate13) }

func TestCertificate13Vectors(t *testing.T) {
	tests := []struct {
		name string
		m    Certificate13
		raw  []string
	}{
		{"no certificate", Certificate13{}, []string{"00", "000000"}},
		{
			"one certificate",
			Certificate13{Certificates: [][]byte{unhexConst("3003020101")}},
			[]string{
				"00",                // certificate_request_context: empty
				"00000a",            // certificate_list length: 10
				"000005 3003020101", // cert_data
				"0000",              // extensions: none
			},
		},
		{
			"a context, two certificates, an entry extension",
			Certificate13{
				Context:         []byte{0xc1, 0xc2},
				Certificates:    [][]byte{unhexConst("3003020101"), unhexConst("3000")},
				EntryExtensions: [][]byte{nil, unhexConst("00050001aa")},
			},
			[]string{
				"02 c1c2",                // certificate_request_context
				"000016",                 // certificate_list length: 22
				"000005 3003020101 0000", // cert_data, no extensions
				"000002 3000",            // cert_data
				"0005 0005 0001 aa",      // extensions: status_request, kept raw
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newCertificate13, unhex(t, tt.raw...), nil)
		})
	}
}

func TestCertificate13Malformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":                     "",
		"no list":                   "00",
		"context past the end":      "05 0102",
		"empty cert_data":           "00 000005 000000 0000",
		"no extensions field":       "00 000004 000001 aa",
		"extensions past the entry": "00 000006 000001 aa 0002",
		"extension truncated":       "00 000009 000001 aa 0003 0005 00",
		"extension past its list":   "00 00000a 000001 aa 0004 0005 0001",
		"duplicate entry extension": "00 00000e 000001 aa 0008 0005 0000 0005 0000",
		"list length past the end":  "00 000007 000001 aa 0000",
		"trailing byte":             "00 000006 000001 aa 0000 00",
		"trailing byte in an entry": "00 000007 000001 aa 0000 00",
	} {
		var m Certificate13
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("%s: Unmarshal accepted %q", name, raw)
		}
	}
	cert := []byte{0x30, 0x00}
	for name, m := range map[string]Certificate13{
		"context of 256 bytes":     {Context: make([]byte, 256)},
		"empty certificate":        {Certificates: [][]byte{{}}},
		"extension lists mismatch": {Certificates: [][]byte{cert}, EntryExtensions: [][]byte{nil, nil}},
		"extension list malformed": {Certificates: [][]byte{cert}, EntryExtensions: [][]byte{{0x00, 0x05, 0x00}}},
		"extension list too long":  {Certificates: [][]byte{cert}, EntryExtensions: [][]byte{append(unhexConst("0005ffff"), make([]byte, 1<<16-1)...)}},
		"certificate too long":     {Certificates: [][]byte{make([]byte, 1<<24)}},
		"list too long":            {Certificates: [][]byte{make([]byte, 1<<23), make([]byte, 1<<23)}},
	} {
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", name, err)
		}
	}
}

// TestCertificate13OpenSSLCerts carries the certificate chains OpenSSL
// sent in the DTLS 1.2 captures in a TLS 1.3 Certificate, and back.
func TestCertificate13OpenSSLCerts(t *testing.T) {
	for _, chain := range capturedChains(t) {
		m := Certificate13{Certificates: chain}
		raw, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var got Certificate13
		if !got.Unmarshal(raw) || len(got.Certificates) != len(chain) {
			t.Fatalf("Unmarshal of %d certificates failed", len(chain))
		}
		for i := range chain {
			if !bytes.Equal(got.Certificates[i], chain[i]) || got.EntryExtensions[i] != nil {
				t.Errorf("certificate %d changed on the way", i)
			}
		}
	}
}

// capturedChains returns the non-empty certificate lists of the OpenSSL
// captures.
func capturedChains(tb testing.TB) [][][]byte {
	var chains [][][]byte
	for _, cf := range captureFiles {
		for _, m := range loadCapture(tb, cf.name) {
			var c Certificate
			if m.typ == TypeCertificate && c.Unmarshal(m.body) && len(c.Certificates) > 0 {
				chains = append(chains, c.Certificates)
			}
		}
	}
	if len(chains) == 0 {
		tb.Fatal("no certificates in the captures")
	}
	return chains
}

func FuzzCertificate13(f *testing.F) {
	for _, chain := range capturedChains(f) {
		raw, err := (&Certificate13{Context: []byte{1}, Certificates: chain}).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(unhex(f, "02 c1c2 000016 000005 3003020101 0000 000002 3000 0005 0005 0001 aa"))
	f.Add(unhex(f, "00 000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newCertificate13, b, true)
	})
}
