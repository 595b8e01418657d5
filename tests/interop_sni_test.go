package tests

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// TestInteropSNI serves two names with two certificate chains from one
// listener, chosen by GetCertificate from the server_name the peer's client
// sends (RFC 6066 §3): openssl s_client -servername and gnutls-cli
// --sni-hostname each verify the chain of the name they asked for.
func TestInteropSNI(t *testing.T) {
	t.Parallel()
	chains := map[string]*peer.Chain{
		"ecdsa.example": peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256}),
		"rsa.example":   peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048}),
	}
	cfg := &dtls.Config{
		GetCertificate: func(info *dtls.ClientHelloInfo) (*tls.Certificate, error) {
			if c, ok := chains[info.ServerName]; ok {
				return &c.Certificate, nil
			}
			return nil, nil
		},
	}
	l := listen(t, cfg)
	for _, tool := range []string{"openssl", "gnutls"} {
		for name, chain := range chains {
			t.Run(tool+"/"+name, func(t *testing.T) {
				opts := peer.Options{Version: peer.DTLS12, Chain: chain, Addr: l.Addr().(*net.UDPAddr).AddrPort()}
				var client *peer.Peer
				if tool == "openssl" {
					opts.Args = []string{"-servername", name}
					opts.Stdin = peer.Script{{Await: peer.OpenSSLClientHandshakeDone, Close: true}}
					client = peer.OpenSSLClient(t, opts)
				} else {
					opts.Args = []string{"--sni-hostname=" + name}
					client = peer.GnuTLSClient(t, opts)
				}
				conn := accept(t, l)
				st := conn.ConnectionState()
				if st.ServerName != name {
					t.Errorf("server name %q, want %q", st.ServerName, name)
				}
				if tool == "openssl" {
					client.Await(t, `(?m)^Verification: OK$`, interopTimeout)
				} else {
					client.Await(t, `(?m)^- Status: The certificate is trusted\.`, interopTimeout)
				}
				conn.Close()
			})
		}
	}
}
