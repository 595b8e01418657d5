package dtls

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/internal/testpki"
)

// TestEd25519 runs ECDHE-ECDSA handshakes whose server and client sign
// with Ed25519 (RFC 8422 §5.1.3), in DTLS 1.2; a DTLS 1.0 server with only
// an Ed25519 certificate has nothing to sign with.
func TestEd25519(t *testing.T) {
	ca, err := testpki.NewCA("ed25519 CA")
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	cert, err := ca.Issue(key)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		cc := &Config{RootCAs: ca.Pool(), ServerName: "localhost", Certificates: []tls.Certificate{cert}}
		sc := &Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("%v / %v", cerr, serr)
		}
		if _, ok := client.ConnectionState().PeerCertificates[0].PublicKey.(ed25519.PublicKey); !ok {
			t.Fatal("the server's certificate is not Ed25519")
		}
		if len(server.ConnectionState().PeerCertificates) == 0 {
			t.Fatal("no client certificate")
		}
		bothWays(t, client, server)

		cc.MinVersion, cc.MaxVersion, sc.MinVersion, sc.MaxVersion = VersionDTLS10, VersionDTLS10, VersionDTLS10, VersionDTLS10
		if _, _, _, serr := handshakePair(t, cc, sc, clean, clean); serr == nil {
			t.Fatal("a DTLS 1.0 handshake signed with Ed25519")
		}
	})
}
