package tests

import (
	"encoding/pem"
	"testing"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The OpenSSL peers. s_server runs with -listen, so it answers our first
// ClientHello with a HelloVerifyRequest (RFC 6347, Section 4.2.1). When
// its standard input closes, OpenSSL 3.0's s_server closes its DTLS socket
// before it sends close_notify, so it is left to close on ours; it then
// exits, having served its one connection.
var (
	sServerPeer = interopPeer{
		name:       "s_server",
		start:      peer.OpenSSLServer,
		done:       peer.OpenSSLServerHandshakeDone,
		exits:      true,
		check:      checkSServer,
		clientAuth: sServerClientAuth,
	}
	sClientPeer = interopPeer{
		name:       "s_client",
		start:      peer.OpenSSLClient,
		done:       peer.OpenSSLClientHandshakeDone,
		closes:     true,
		exits:      true,
		check:      checkSClient,
		clientAuth: sClientCertificate,
	}
)

// TestInteropOpenSSL runs our client against openssl s_server and our
// server against openssl s_client, for every version and suite.
func TestInteropOpenSSL(t *testing.T) {
	t.Parallel()
	cases := interopMatrix(t, newInteropChains(t, false))
	for _, c := range cases {
		t.Run("client/"+c.name(), func(t *testing.T) {
			t.Parallel()
			testOurClient(t, sServerPeer, c)
		})
	}
	for _, c := range cases {
		t.Run("server/"+c.name(), func(t *testing.T) {
			t.Parallel()
			testOurServer(t, sClientPeer, c)
		})
	}
}

// openSSLProtocolNames are the names s_client gives the versions.
var openSSLProtocolNames = map[peer.Version]string{peer.DTLS10: "DTLSv1", peer.DTLS12: "DTLSv1.2"}

// checkSClient checks the suite, version and extended master secret that
// s_client reports.
func checkSClient(t *testing.T, p *peer.Peer, c interopCase) {
	t.Helper()
	if got := p.Await(t, peer.OpenSSLClientHandshakeDone, interopTimeout)[1]; got != c.suite.OpenSSL {
		t.Errorf("s_client negotiated %s, want %s", got, c.suite.OpenSSL)
	}
	if got := p.Await(t, `(?m)^\s+Protocol\s+: (\S+)$`, interopTimeout)[1]; got != openSSLProtocolNames[c.version] {
		t.Errorf("s_client negotiated %s, want %s", got, openSSLProtocolNames[c.version])
	}
	if got := p.Await(t, `(?m)^\s+Extended master secret: (\S+)$`, interopTimeout)[1]; got != "yes" {
		t.Errorf("s_client: extended master secret: %s, want yes", got)
	}
}

// checkSServer checks the suite that s_server names and the version and
// suite in the session it prints.
func checkSServer(t *testing.T, p *peer.Peer, c interopCase) {
	t.Helper()
	if got := p.Await(t, peer.OpenSSLServerHandshakeDone, interopTimeout)[1]; got != c.suite.OpenSSL {
		t.Errorf("s_server negotiated %s, want %s", got, c.suite.OpenSSL)
	}
	version, suite, ok := parseOpenSSLSession(p.Stdout())
	if !ok {
		t.Fatalf("s_server printed no session parameters")
	}
	if version != c.version || suite != c.suite.ID {
		t.Errorf("s_server session: version %v suite %#04x, want %v %#04x", version, suite, c.version, c.suite.ID)
	}
}

// parseOpenSSLSession finds the "SSL SESSION PARAMETERS" block that
// s_server prints after a handshake and returns the protocol version and
// cipher suite at the start of its ASN.1 SSL_SESSION structure:
//
//	SEQUENCE { version INTEGER (1), ssl_version INTEGER,
//	           cipher OCTET STRING (the two-byte suite), ... }
func parseOpenSSLSession(out string) (peer.Version, uint16, bool) {
	block, _ := pem.Decode([]byte(out))
	if block == nil || block.Type != "SSL SESSION PARAMETERS" {
		return 0, 0, false
	}
	s := cryptobyte.String(block.Bytes)
	var session cryptobyte.String
	var format, version int64
	var suite uint16
	var cipher cryptobyte.String
	if !s.ReadASN1(&session, asn1.SEQUENCE) ||
		!session.ReadASN1Integer(&format) || format != 1 ||
		!session.ReadASN1Integer(&version) || version < 0 || version > 0xffff ||
		!session.ReadASN1(&cipher, asn1.OCTET_STRING) ||
		!cipher.ReadUint16(&suite) || !cipher.Empty() {
		return 0, 0, false
	}
	return peer.Version(version), suite, true
}

// sServerClientAuth makes s_server require a client certificate that
// chains to chain's root.
func sServerClientAuth(chain *peer.Chain) []string {
	return []string{"-Verify", "9", "-verify_return_error", "-CAfile", chain.CAFile}
}

// sClientCertificate makes s_client present chain as its certificate.
func sClientCertificate(chain *peer.Chain) []string {
	return []string{"-cert", chain.CertFile, "-cert_chain", chain.IntermediatesFile, "-key", chain.KeyFile}
}
