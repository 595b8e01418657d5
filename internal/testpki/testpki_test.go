package testpki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"
)

func TestIssueVerifies(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ca.IssueECDSA()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ca.Issue(rk)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][][]byte{ec.Certificate, rc.Certificate} {
		leaf, err := x509.ParseCertificate(c[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
			opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
			if _, err := leaf.Verify(opts); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	other, err := NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(ec.Certificate[0])
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: other.Pool()}); err == nil {
		t.Error("verified against an unrelated CA")
	}
}
