package dtls

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/internal/testpki"
)

// testPKI is a CA with an ECDSA and an RSA certificate for "localhost".
type testPKI struct {
	ecdsa, rsa tls.Certificate
	roots      *x509.CertPool
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

func getPKI() *testPKI {
	pkiOnce.Do(func() {
		ca, err := testpki.NewCA("pathdtls test CA")
		if err == nil {
			pki.ecdsa, err = ca.IssueECDSA()
		}
		var rk *rsa.PrivateKey
		if err == nil {
			rk, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err == nil {
			pki.rsa, err = ca.Issue(rk)
		}
		if err != nil {
			panic("dtls tests: generating certificates: " + err.Error())
		}
		pki.roots = ca.Pool()
	})
	return &pki
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
