package handshake

import (
	"strings"
	"testing"
)

func newCertificate() message { return new(Certificate) }

func TestCertificateVectors(t *testing.T) {
	tests := []struct {
		name string
		m    Certificate
		raw  []string
	}{
		{
			"two certificates",
			Certificate{Certificates: [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}, {0x30, 0x00}}},
			[]string{
				"00000d",               // certificate_list length: 13
				"000005", "3003020101", // ASN.1Cert: a stand-in DER SEQUENCE
				"000002", "3000", // ASN.1Cert
			},
		},
		{
			"empty list, from a client without a certificate",
			Certificate{},
			[]string{"000000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newCertificate, unhex(t, tt.raw...), nil)
		})
	}
}

func TestCertificateUnmarshalErrors(t *testing.T) {
	for _, raw := range []string{
		"",                      // no list
		"000003 000000",         // an empty ASN.1Cert
		"000006 000002 3000",    // list runs past the body
		"000005 000003 3000",    // certificate runs past the list
		"000006 000002 3000 ff", // byte left in the list
		"000000 ff",             // byte after the list
	} {
		var m Certificate
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("Unmarshal(%s) succeeded", raw)
		}
	}
}

func TestCertificateMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		m    Certificate
	}{
		{"empty certificate", Certificate{Certificates: [][]byte{{0x30, 0x00}, {}}}},
		{"certificate too long", Certificate{Certificates: [][]byte{make([]byte, 1<<24)}}},
		{"list too long", Certificate{Certificates: [][]byte{make([]byte, 1<<23), make([]byte, 1<<23)}}},
	}
	for _, tt := range tests {
		if _, err := tt.m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", tt.name, err)
		}
	}
}

func FuzzCertificate(f *testing.F) {
	addCaptured(f, TypeCertificate)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newCertificate, b, true)
	})
}
