package dtls

import (
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
		serr = server.Handshake()
	}()
	cerr := client.Handshake()
	if cerr != nil {
		b.Close() // unblock the server
	}
	wg.Wait()
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server, cerr, serr
}

// lossyHandshake runs a handshake over an impaired link and returns the
// two sides' results. The server answers a client whose copy of the final
// flight was lost on its own (RFC 6347 §4.2.4): nobody reads it.
func lossyHandshake(t *testing.T, cc, sc *Config, ab, ba dgramtest.Impairment) (cerr, serr error) {
	t.Helper()
	_, _, cerr, serr = handshakePair(t, cc, sc, ab, ba)
	return cerr, serr
}

func pskConfig(base *Config) *Config {
	base.PSK = func([]byte) ([]byte, error) { return []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil }
	base.PSKIdentity = []byte("client1")
	base.PSKIdentityHint = []byte("hint")
	return base
}
