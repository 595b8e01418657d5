package dtls

import (
	"bytes"
	"crypto/tls"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// config13 returns a client and a server Config that speak DTLS 1.3 only.
func config13(psk bool) (cc, sc *Config) {
	p := getPKI()
	cc = &Config{ServerName: "localhost", RootCAs: p.roots, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13}
	sc = &Config{Certificates: []tls.Certificate{p.ecdsa}, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13}
	if psk {
		cc, sc = pskConfig(&Config{MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13}), pskConfig(&Config{MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13})
	}
	return cc, sc
}

func echo13(t *testing.T, client, server *Conn) {
	t.Helper()
	msg := []byte("hello over DTLS 1.3")
	if _, err := client.Write(msg); err != nil {
		t.Fatalf("client Write: %v", err)
	}
	buf := make([]byte, 100)
	n, err := server.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("server Read = %q, %v", buf[:n], err)
	}
	if _, err := server.Write(buf[:n]); err != nil {
		t.Fatalf("server Write: %v", err)
	}
	if n, err = client.Read(buf); err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("client Read = %q, %v", buf[:n], err)
	}
}

func TestHandshake13(t *testing.T) {
	for _, tc := range []struct {
		name string
		psk  bool
		imp  dgramtest.Impairment
	}{
		{"certificate", false, dgramtest.Impairment{}},
		{"psk", true, dgramtest.Impairment{}},
		{"certificate/loss30", false, dgramtest.Impairment{Loss: 0.3, Seed: 7}},
		{"psk/loss30", true, dgramtest.Impairment{Loss: 0.3, Seed: 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := config13(tc.psk)
				client, server, cerr, serr := handshakePair(t, cc, sc, tc.imp, tc.imp)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: client %v, server %v", cerr, serr)
				}
				for _, c := range []*Conn{client, server} {
					st := c.ConnectionState()
					if st.Version != VersionDTLS13 || suite13ByID(st.CipherSuite) == nil {
						t.Fatalf("state: version %#x suite %#x", st.Version, st.CipherSuite)
					}
				}
				if tc.imp.Loss == 0 {
					echo13(t, client, server)
				}
			})
		})
	}
}
