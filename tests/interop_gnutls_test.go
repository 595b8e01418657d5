package tests

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// The GnuTLS peers. gnutls-serv always answers a ClientHello without a
// cookie with a HelloVerifyRequest (RFC 6347, Section 4.2.1), echoes what
// it receives, and never exits by itself. gnutls-cli sends close_notify
// when its standard input closes and exits once we answer.
var (
	gnutlsServPeer = interopPeer{
		name:       "gnutls-serv",
		start:      peer.GnuTLSServer,
		echo:       true,
		clientAuth: gnutlsServClientAuth,
	}
	gnutlsCliPeer = interopPeer{
		name:       "gnutls-cli",
		start:      peer.GnuTLSClient,
		done:       peer.GnuTLSClientHandshakeDone,
		closes:     true,
		exits:      true,
		check:      checkGnuTLSCli,
		clientAuth: gnutlsCliCertificate,
	}
)

// TestInteropGnuTLS runs our client against gnutls-serv and our server
// against gnutls-cli, for every version and suite.
func TestInteropGnuTLS(t *testing.T) {
	t.Parallel()
	cases := interopMatrix(t, newInteropChains(t, false))
	for _, c := range cases {
		t.Run("client/"+c.name(), func(t *testing.T) {
			t.Parallel()
			testOurClient(t, gnutlsServPeer, c)
		})
	}
	for _, c := range cases {
		if strings.HasPrefix(c.suite.GnuTLS, "+ECDHE-PSK") {
			// gnutls-cli 3.7.9 crashes (SIGSEGV) after every ECDHE_PSK
			// handshake, against gnutls-serv as well: our client is tested
			// against gnutls-serv, our server against OpenSSL and Mbed TLS.
			continue
		}
		t.Run("server/"+c.name(), func(t *testing.T) {
			t.Parallel()
			testOurServer(t, gnutlsCliPeer, c)
		})
	}
}

// gnuTLSDescription returns a pattern for the session description
// gnutls-cli prints for c, such as
// "(DTLS1.2-X.509)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-GCM)". The
// group and, in DTLS 1.2, the signature algorithm are whatever the two
// sides preferred.
func gnuTLSDescription(c interopCase) string {
	version := `DTLS1\.2`
	if c.version == peer.DTLS10 {
		version = `DTLS1\.0`
	}
	kx := `\(PSK\)`
	if strings.HasPrefix(c.suite.GnuTLS, "+ECDHE-PSK") {
		kx = `\(ECDHE-PSK-[^)]+\)`
	}
	if !c.suite.PSK {
		kx = `\(ECDHE-[^)]+\)`
		if c.version == peer.DTLS12 {
			kx += `-\([^)]+\)`
		}
	}
	// The suite's priority elements are key exchange, cipher and MAC.
	parts := strings.Split(c.suite.GnuTLS, ":")
	cipher := `\(` + regexp.QuoteMeta(strings.TrimPrefix(parts[1], "+")) + `\)`
	if !c.suite.AEAD {
		cipher += `-\(` + regexp.QuoteMeta(strings.TrimPrefix(parts[2], "+")) + `\)`
	}
	return `^\(` + version + `-X\.509\)-` + kx + `-` + cipher + `$`
}

// checkGnuTLSCli checks the session description and options that
// gnutls-cli prints.
func checkGnuTLSCli(t *testing.T, p *peer.Peer, c interopCase) {
	t.Helper()
	got := p.Await(t, peer.GnuTLSClientDescription, interopTimeout)[1]
	if want := gnuTLSDescription(c); !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("gnutls-cli negotiated %s, want a match for %s", got, want)
	}
	if got := p.Await(t, `(?m)^- Options: (.*)$`, interopTimeout)[1]; !regexp.MustCompile(`\bextended master secret\b`).MatchString(got) {
		t.Errorf("gnutls-cli: options %q, want extended master secret", got)
	}
}

// gnutlsServClientAuth makes gnutls-serv require a client certificate and
// verify it against chain's root.
func gnutlsServClientAuth(chain *peer.Chain) []string {
	return []string{"--require-client-cert", "--verify-client-cert", "--x509cafile", chain.CAFile}
}

// gnutlsCliCertificate makes gnutls-cli present chain as its certificate.
func gnutlsCliCertificate(chain *peer.Chain) []string {
	return []string{"--x509certfile", chain.CertFile, "--x509keyfile", chain.KeyFile}
}
