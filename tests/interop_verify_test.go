package tests

import (
	"regexp"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// rsaOnlyClientSigalgs makes s_server's CertificateRequest allow only RSA
// client certificates: its supported_signature_algorithms list only RSA
// schemes and, since OpenSSL leaves out the certificate types whose
// algorithms that list rules out, its certificate_types only rsa_sign,
// in DTLS 1.0 too.
var rsaOnlyClientSigalgs = []string{"-client_sigalgs", "RSA+SHA256:RSA+SHA384:rsa_pss_rsae_sha256"}

// sServerClientCertificate matches what s_server prints when the client
// presented a certificate.
var sServerClientCertificate = regexp.MustCompile(`(?m)^Client certificate\n-----BEGIN CERTIFICATE-----$`)

// TestInteropOpenSSLVerifyClientCertificate runs our client, which holds
// only an ECDSA certificate, against openssl s_server with an RSA
// certificate and an ECDHE_RSA suite, run with -verify: s_server asks for
// a client certificate but does not require one.
//
// When the CertificateRequest allows only RSA certificates, our client has
// none that fits, so it must answer with an empty Certificate and no
// CertificateVerify (RFC 5246, Section 7.4.6); the handshake completes
// without client authentication. When it allows ECDSA too, as s_server's
// does by default, our client presents its certificate.
func TestInteropOpenSSLVerifyClientCertificate(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, v := range interopVersions {
		suite := "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
		if v == peer.DTLS10 {
			suite = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
		}
		c := newInteropCase(t, v, suite, chains)
		for _, req := range []struct {
			name     string
			args     []string
			wantCert bool // whether our client presents its certificate
		}{
			{"RSA only", rsaOnlyClientSigalgs, false},
			{"any", nil, true},
		} {
			t.Run(c.name()+"/"+req.name, func(t *testing.T) {
				t.Parallel()
				opts := c.peerOptions()
				opts.Args = append([]string{"-verify", "1"}, req.args...)
				cfg := c.clientConfig(t)
				cfg.Certificates = append(cfg.Certificates, chains.ecdsa.Certificate)
				server := testOurClientWith(t, sServerPeer, c, opts, cfg)
				// s_server prints the client's certificate after the
				// handshake, and nothing when there is none; it has
				// exited, so its output is complete.
				if got := sServerClientCertificate.MatchString(server.Output()); got != req.wantCert {
					t.Errorf("s_server received a client certificate: %v, want %v", got, req.wantCert)
				}
			})
		}
	}
}

// testOurClientWith runs our client, configured by cfg, against the server
// p started with opts for c: a handshake, a line each way, and the close.
// It returns the server.
func testOurClientWith(t *testing.T, p interopPeer, c interopCase, opts peer.Options, cfg *dtls.Config) *peer.Peer {
	t.Helper()
	fromUs, fromPeer := "hello from pathdtls client", "hello from "+p.name
	if p.echo {
		fromPeer = fromUs
	}
	opts.Stdin = p.script(fromPeer, fromUs)
	server := p.start(t, opts)
	conn := dial(t, server.Addr, cfg)
	c.checkState(t, conn, true)
	talk(t, p, server, conn, c, fromUs, fromPeer)
	return server
}
