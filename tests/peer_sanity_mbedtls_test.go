package tests

import (
	"testing"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// TestPeerSanityMbedTLS proves the Mbed TLS peers the harness builds
// against OpenSSL and against each other, as TestPeerSanity does for the
// tools from Debian packages: for each case, a handshake that negotiates
// the suite asked for and a line each way (the server echoes the
// client's); and that they size their datagrams for Options.MTU.
func TestPeerSanityMbedTLS(t *testing.T) {
	t.Parallel()
	tool := peer.BuildMbedTLS(t)
	mbedServer := sanityRole{"mbedtls-server", tool.Server, "", checkMbedTLSSuite}
	mbedClient := sanityRole{"mbedtls-client", tool.Client, peer.MbedTLSHandshakeDone, checkMbedTLSSuite}
	pairs := []struct{ server, client sanityRole }{
		{mbedServer, mbedClient},
		{mbedServer, openSSLClient},
		{openSSLServer, mbedClient},
	}
	cases := sanityCases(t)
	for _, pair := range pairs {
		for _, c := range cases {
			t.Run(pair.server.name+"/"+pair.client.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				exchangeLines(t, pair.server, pair.client, c)
			})
		}
	}
	// Options.MTU means the link MTU for the Mbed TLS peers too, as
	// TestPeerSanityMTU checks for the others.
	t.Run("MTU", func(t *testing.T) {
		t.Parallel()
		chain := peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048, Large: true})
		checkPeerMTU(t, mbedServer, mbedClient, chain, 1000)
	})
}

// checkMbedTLSSuite checks the version and suite an Mbed TLS peer reports.
func checkMbedTLSSuite(t *testing.T, p *peer.Peer, c sanityCase) {
	t.Helper()
	suite, _ := peer.LookupSuite(c.suite)
	m := p.Await(t, peer.MbedTLSHandshakeDone, sanityTimeout)
	if m[1] != mbedTLSVersionNames[c.version] || m[2] != peer.MbedTLSName(suite) {
		t.Errorf("%v negotiated %s %s, want %s %s", p, m[1], m[2], mbedTLSVersionNames[c.version], peer.MbedTLSName(suite))
	}
}
