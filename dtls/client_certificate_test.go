package dtls

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

func TestPickClientCertificate(t *testing.T) {
	p := getPKI()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed := tls.Certificate{Certificate: [][]byte{{0}}, PrivateKey: edKey}
	noKey := tls.Certificate{Certificate: p.ecdsa.Certificate}
	noChain := tls.Certificate{PrivateKey: p.ecdsa.PrivateKey}

	rsaOnly := []uint8{certTypeRSASign}
	both := []uint8{certTypeRSASign, 2 /* dss_sign */, certTypeECDSASign}
	rsaAlgs := []uint16{sigRSAPKCS1SHA256, sigRSAPSSSHA256}
	ecdsaAlgs := []uint16{sigECDSAP384, sigECDSAP256}
	sha1Algs := []uint16{sigRSAPKCS1SHA1, sigECDSASHA1}
	const (
		none = iota - 1 // want no certificate
		first
		second
	)
	tests := []struct {
		name    string
		certs   []tls.Certificate
		types   []uint8
		algs    []uint16
		vers    uint16
		want    int // index into certs, or none
		wantAlg uint16
	}{
		{"ECDSA client, RSA request", []tls.Certificate{p.ecdsa}, rsaOnly, rsaAlgs, VersionDTLS12, none, 0},
		{"ECDSA client, RSA request, DTLS 1.0", []tls.Certificate{p.ecdsa}, rsaOnly, nil, VersionDTLS10, none, 0},
		// OpenSSL asks for ecdsa_sign too unless its client sigalgs rule
		// ECDSA out; only the algorithms then say no.
		{"ECDSA client, any type, RSA algorithms", []tls.Certificate{p.ecdsa}, both, rsaAlgs, VersionDTLS12, none, 0},
		{"ECDSA client, any type, DTLS 1.0", []tls.Certificate{p.ecdsa}, both, nil, VersionDTLS10, first, 0},
		{"ECDSA client, ECDSA request", []tls.Certificate{p.ecdsa}, []uint8{certTypeECDSASign}, ecdsaAlgs, VersionDTLS12, first, sigECDSAP256},
		{"RSA client, RSA request", []tls.Certificate{p.rsa}, rsaOnly, rsaAlgs, VersionDTLS12, first, sigRSAPSSSHA256},
		{"RSA client, RSA request, DTLS 1.0", []tls.Certificate{p.rsa}, rsaOnly, nil, VersionDTLS10, first, 0},
		{"RSA client, PKCS #1 only", []tls.Certificate{p.rsa}, rsaOnly, []uint16{sigRSAPKCS1SHA384}, VersionDTLS12, first, sigRSAPKCS1SHA384},
		{"ECDSA then RSA, RSA request", []tls.Certificate{p.ecdsa, p.rsa}, rsaOnly, rsaAlgs, VersionDTLS12, second, sigRSAPSSSHA256},
		{"ECDSA then RSA, ECDSA algorithms", []tls.Certificate{p.ecdsa, p.rsa}, both, ecdsaAlgs, VersionDTLS12, first, sigECDSAP256},
		{"RSA then ECDSA, both fit", []tls.Certificate{p.rsa, p.ecdsa}, both, append(ecdsaAlgs, rsaAlgs...), VersionDTLS12, first, sigRSAPSSSHA256},
		{"SHA-1 only", []tls.Certificate{p.ecdsa, p.rsa}, both, sha1Algs, VersionDTLS12, none, 0},
		{"no algorithms in DTLS 1.2", []tls.Certificate{p.ecdsa, p.rsa}, both, nil, VersionDTLS12, none, 0},
		{"unknown types only", []tls.Certificate{p.ecdsa, p.rsa}, []uint8{2, 3, 65}, rsaAlgs, VersionDTLS12, none, 0},
		{"Ed25519 skipped", []tls.Certificate{ed, p.ecdsa}, both, ecdsaAlgs, VersionDTLS12, second, sigECDSAP256},
		{"no private key skipped", []tls.Certificate{noKey, p.ecdsa}, both, ecdsaAlgs, VersionDTLS12, second, sigECDSAP256},
		{"no chain skipped", []tls.Certificate{noChain}, both, ecdsaAlgs, VersionDTLS12, none, 0},
		{"no certificates", nil, both, rsaAlgs, VersionDTLS12, none, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &handshake.CertificateRequest{CertificateTypes: tt.types, SignatureAlgorithms: tt.algs}
			got, alg := pickClientCertificate(tt.certs, req, tt.vers)
			if tt.want == none {
				if got != nil || alg != 0 {
					t.Fatalf("picked certificate %p with %#04x, want none", got, alg)
				}
				return
			}
			if got != &tt.certs[tt.want] || alg != tt.wantAlg {
				t.Fatalf("picked %p with %#04x, want certificate %d (%p) with %#04x", got, alg, tt.want, &tt.certs[tt.want], tt.wantAlg)
			}
		})
	}
}
