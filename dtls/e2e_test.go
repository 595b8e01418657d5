package dtls

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// suiteConfigs returns client and server configs that can only agree on
// suite id at version v.
func suiteConfigs(id, v uint16) (*Config, *Config) {
	p := getPKI()
	cc := &Config{CipherSuites: []uint16{id}, MinVersion: v, MaxVersion: v, RootCAs: p.roots, ServerName: "localhost"}
	sc := &Config{CipherSuites: []uint16{id}, MinVersion: v, MaxVersion: v}
	switch suiteByID(id).kx {
	case kxECDHEECDSA:
		sc.Certificates = []tls.Certificate{p.ecdsa}
	case kxECDHERSA:
		sc.Certificates = []tls.Certificate{p.rsa}
	case kxPSK, kxECDHEPSK:
		pskConfig(cc)
		pskConfig(sc)
	}
	return cc, sc
}

func TestEverySuiteAndVersion(t *testing.T) {
	for _, s := range cipherSuites {
		for _, v := range []uint16{VersionDTLS10, VersionDTLS12} {
			if !s.usableIn(v) {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", s.name, versionName(v)), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cc, sc := suiteConfigs(s.id, v)
					client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
					if cerr != nil || serr != nil {
						t.Fatalf("handshake: client %v, server %v", cerr, serr)
					}
					checkState(t, client, s.id, v)
					checkState(t, server, s.id, v)
					exchange(t, client, server, 100)
					exchange(t, server, client, client.MaxPayload())
				})
			})
		}
	}
}

func checkState(t *testing.T, c *Conn, suite, v uint16) {
	t.Helper()
	st := c.ConnectionState()
	if !st.HandshakeComplete || st.CipherSuite != suite || st.Version != v || !st.ExtendedMasterSecret {
		t.Errorf("state = %+v, want suite %s version %s with EMS", st, CipherSuiteName(suite), versionName(v))
	}
}

// exchange writes n bytes from a and checks that b reads them as one record.
func exchange(t *testing.T, a, b *Conn, n int) {
	t.Helper()
	msg := bytes.Repeat([]byte{0xa5}, n)
	if _, err := a.Write(msg); err != nil {
		t.Fatalf("write %d: %v", n, err)
	}
	buf := make([]byte, 1<<16)
	k, err := b.Read(buf)
	if err != nil || !bytes.Equal(buf[:k], msg) {
		t.Fatalf("read = %d, %v; want %d bytes", k, err, n)
	}
}

func TestHandshakeUnderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("slow in -short mode")
	}
	synctest.Test(t, func(t *testing.T) {
		for i := range 100 {
			imp := dgramtest.Impairment{Loss: 0.3, Seed: uint64(i)}
			imp2 := imp
			imp2.Seed += 1000
			cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
			cc.HandshakeTimeout, sc.HandshakeTimeout = 10*time.Minute, 10*time.Minute
			cerr, serr := lossyHandshake(t, cc, sc, imp, imp2)
			if cerr != nil || serr != nil {
				t.Fatalf("handshake %d: client %v, server %v", i, cerr, serr)
			}
		}
	})
}
