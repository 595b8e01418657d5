package dtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// TestECDHEBesideSignature runs the client's side of the ECDHE exchange
// beside the check of the server's signature (and, with one goroutine at
// a time, after it), with each group, and checks that a signature that
// does not verify fails the handshake with decrypt_error whatever the
// exchange computed, leaving no goroutine behind (synctest.Test waits
// for every goroutine of the bubble).
func TestECDHEBesideSignature(t *testing.T) {
	p := getPKI()
	wrongKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// The server's certificate, with a key that is not the certificate's:
	// the server signs with it, and the client's check fails.
	forged := tls.Certificate{Certificate: p.ecdsa.Certificate, PrivateKey: wrongKey}
	for _, procs := range []int{1, 2} {
		for _, curve := range []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384} {
			t.Run(fmt.Sprintf("%v/GOMAXPROCS=%d", curve, procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				synctest.Test(t, func(t *testing.T) {
					cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
					cc.CurvePreferences = []tls.CurveID{curve}
					client, _, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
					if cerr != nil || serr != nil {
						t.Fatalf("handshake: client %v, server %v", cerr, serr)
					}
					if _, err := client.Write([]byte("x")); err != nil {
						t.Fatal(err)
					}
				})
				synctest.Test(t, func(t *testing.T) {
					cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
					cc.CurvePreferences = []tls.CurveID{curve}
					sc.Certificates = []tls.Certificate{forged}
					_, _, cerr, _ := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
					var alert *AlertError
					if !errors.As(cerr, &alert) || alert.Alert != AlertDecryptError || alert.Remote {
						t.Fatalf("client with a forged signature: %v; want a decrypt_error alert", cerr)
					}
				})
			})
		}
	}
}
