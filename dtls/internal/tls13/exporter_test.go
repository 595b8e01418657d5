package tls13

import (
	"crypto"
	"testing"
)

// TestExporterOpenSSL checks ExportKeyingMaterial, with the TLS 1.3 prefix,
// against the exporters of two real OpenSSL TLS 1.3 sessions, from the
// EXPORTER_SECRET of their key logs (testdata/openssl-tls13-exporter.txt).
func TestExporterOpenSSL(t *testing.T) {
	withPrefix(t, "tls13 ")
	v := readVectors(t, "testdata/openssl-tls13-exporter.txt")
	for name, h := range map[string]crypto.Hash{"SHA256": crypto.SHA256, "SHA384": crypto.SHA384} {
		want := v.get(t, name+"/keying material")
		for _, context := range [][]byte{nil, {}} {
			got, err := ExportKeyingMaterial(h, v.get(t, name+"/exporter secret"), "EXPERIMENTAL-pathdtls", context, len(want))
			if err != nil {
				t.Fatal(err)
			}
			check(t, name, got, want)
		}
	}
}

// TestExporterContext checks that the context and the label both change the
// output, and that a zero length gives an empty, non-nil result.
func TestExporterContext(t *testing.T) {
	secret := make([]byte, 32)
	a, _ := ExportKeyingMaterial(crypto.SHA256, secret, "EXPERIMENTAL-a", nil, 32)
	b, _ := ExportKeyingMaterial(crypto.SHA256, secret, "EXPERIMENTAL-a", []byte{0}, 32)
	c, _ := ExportKeyingMaterial(crypto.SHA256, secret, "EXPERIMENTAL-b", nil, 32)
	if string(a) == string(b) || string(a) == string(c) || len(a) != 32 {
		t.Errorf("exporter outputs: %x %x %x", a, b, c)
	}
	if z, err := ExportKeyingMaterial(crypto.SHA256, secret, "EXPERIMENTAL-a", nil, 0); err != nil || z == nil || len(z) != 0 {
		t.Errorf("zero length: %x, %v", z, err)
	}
}
