package tests

import (
	"testing"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// TestInteropEd25519 runs ECDHE_ECDSA handshakes whose server signs with
// an Ed25519 certificate (RFC 8422, Section 5.1.3) against OpenSSL and
// GnuTLS, our side as client and as server. openssl s_server 3.0 cannot
// serve DTLS 1.2 with an Ed25519 certificate, to its own s_client either
// ("no shared cipher"): our client is tested against gnutls-serv only.
func TestInteropEd25519(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	chains.ecdsa = peer.NewChain(t, peer.ChainOptions{Key: peer.Ed25519})
	for _, suite := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"} {
		c := newInteropCase(t, peer.DTLS12, suite, chains)
		for name, run := range map[string]func(*testing.T){
			"openssl/server": func(t *testing.T) { testOurServer(t, sClientPeer, c) },
			"gnutls/client":  func(t *testing.T) { testOurClient(t, gnutlsServPeer, c) },
			"gnutls/server":  func(t *testing.T) { testOurServer(t, gnutlsCliPeer, c) },
		} {
			t.Run(name+"/"+c.name(), func(t *testing.T) {
				t.Parallel()
				run(t)
			})
		}
	}
}
