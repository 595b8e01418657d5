package dtls

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// testPKI is a CA with an ECDSA and an RSA server certificate for "localhost".
type testPKI struct {
	ecdsa, rsa tls.Certificate
	roots      *x509.CertPool
}

// The test certificates are valid from before synctest's epoch (2000) to
// long after today, so that they verify inside and outside bubbles.
var (
	validFrom  = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	validUntil = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

var (
	pkiOnce sync.Once
	pki     testPKI
)

func getPKI() *testPKI {
	pkiOnce.Do(func() {
		caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		caTmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pathdtls test CA"},
			NotBefore: validFrom, NotAfter: validUntil,
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
		ca, _ := x509.ParseCertificate(caDER)
		pki.roots = x509.NewCertPool()
		pki.roots.AddCert(ca)
		ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		pki.ecdsa = leafCert(ca, caKey, ek, 2)
		rk, _ := rsa.GenerateKey(rand.Reader, 2048)
		pki.rsa = leafCert(ca, caKey, rk, 3)
	})
	return &pki
}

func leafCert(ca *x509.Certificate, caKey crypto.Signer, key crypto.Signer, serial int64) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames:  []string{"localhost"},
		NotBefore: validFrom, NotAfter: validUntil,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature,
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}
}

// handshakePair runs a client and a server handshake over an impaired
// in-memory link and returns both ends. Call it inside synctest.Test.
func handshakePair(t *testing.T, cc, sc *Config, ab, ba dgramtest.Impairment) (*Conn, *Conn, error, error) {
	t.Helper()
	a, b := dgramtest.Pipe(ab, ba)
	client, server := Client(a, cc), Server(b, sc)
	var serr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serr = server.Handshake(context.Background())
	}()
	cerr := client.Handshake(context.Background())
	if cerr != nil {
		b.Close() // unblock the server
	}
	wg.Wait()
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server, cerr, serr
}

// lossyHandshake runs a handshake in which the server keeps reading after
// its handshake, as an application would, so that it can answer a client
// whose copy of the final flight was lost (RFC 6347 §4.2.4). It returns once
// both sides are done.
func lossyHandshake(t *testing.T, cc, sc *Config, ab, ba dgramtest.Impairment) (cerr, serr error) {
	t.Helper()
	a, b := dgramtest.Pipe(ab, ba)
	client, server := Client(a, cc), Server(b, sc)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if serr = server.Handshake(context.Background()); serr != nil {
			return
		}
		buf := make([]byte, 2048)
		for {
			if _, err := server.Read(buf); err != nil {
				return
			}
		}
	}()
	cerr = client.Handshake(context.Background())
	client.Close()
	b.Close()
	<-done
	return cerr, serr
}

func pskConfig(base *Config) *Config {
	base.PSK = func([]byte) ([]byte, error) { return []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil }
	base.PSKIdentity = []byte("client1")
	base.PSKIdentityHint = []byte("hint")
	return base
}
