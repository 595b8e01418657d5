package dtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// TestVerifiedChainsRemembered checks that a Config verifies a chain it has
// verified before from memory while the chain is valid, and verifies it
// anew, and refuses it, outside the chain's validity.
func TestVerifiedChainsRemembered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at atomic.Int64 // the client's clock, in Unix seconds
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.Time = func() time.Time { return time.Unix(at.Load(), 0) }
		handshake := func() (*Conn, error) {
			t.Helper()
			client, server, cerr, _ := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
			t.Cleanup(func() { client.Close(); server.Close() })
			return client, cerr
		}

		at.Store(time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
		first, err := handshake()
		if err != nil {
			t.Fatalf("first handshake: %v", err)
		}
		if n := len(cc.certs().verified); n != 1 {
			t.Fatalf("%d verified chains remembered after one handshake, want 1", n)
		}
		second, err := handshake()
		if err != nil {
			t.Fatalf("second handshake: %v", err)
		}
		a, b := first.ConnectionState().VerifiedChains, second.ConnectionState().VerifiedChains
		if len(a) != 1 || len(b) != 1 || len(a[0]) != len(b[0]) || a[0][0] != b[0][0] {
			t.Fatalf("verified chains differ: %v and %v", a, b)
		}
		b[0][0] = nil // a caller's copy is its own
		if c, ok := cc.certs().verifiedAt(onlyKey(cc), time.Unix(at.Load(), 0)); !ok || c[0][0] == nil {
			t.Fatal("changing a ConnectionState's chains changed the Config's")
		}

		for _, when := range []time.Time{
			time.Date(2100, 1, 1, 0, 0, 1, 0, time.UTC),   // after NotAfter
			time.Date(1989, 12, 31, 0, 0, 0, 0, time.UTC), // before NotBefore
		} {
			at.Store(when.Unix())
			_, err := handshake()
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Errorf("handshake at %v: %v, want a verification error", when, err)
			}
		}
	})
}

// onlyKey returns the key of the one chain cfg remembers.
func onlyKey(cfg *Config) verifiedKey {
	for k := range cfg.certs().verified {
		return k
	}
	return verifiedKey{}
}

// TestVerifiedChainsKeyedByOptions checks that a chain verified for one name
// or use is not taken as verified for another.
func TestVerifiedChainsKeyedByOptions(t *testing.T) {
	serverAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	clientAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	raw := getPKI().ecdsa.Certificate
	base := newVerifiedKey(raw, &x509.VerifyOptions{DNSName: "localhost", KeyUsages: serverAuth})
	for name, k := range map[string]verifiedKey{
		"other name":  newVerifiedKey(raw, &x509.VerifyOptions{DNSName: "example.com", KeyUsages: serverAuth}),
		"client use":  newVerifiedKey(raw, &x509.VerifyOptions{DNSName: "localhost", KeyUsages: clientAuth}),
		"leaf alone":  newVerifiedKey(raw[:1], &x509.VerifyOptions{DNSName: "localhost", KeyUsages: serverAuth}),
		"moved bytes": newVerifiedKey([][]byte{append(raw[0][:len(raw[0]):len(raw[0])], raw[1][0]), raw[1][1:]}, &x509.VerifyOptions{DNSName: "localhost", KeyUsages: serverAuth}),
	} {
		if k == base {
			t.Errorf("%s: same key as the original", name)
		}
	}
}
