package tests

import (
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// smallMTU is the link MTU of the small-datagram cases: datagrams carry at
// most 272 bytes of UDP payload, so a certificate chain of several
// kilobytes takes dozens of handshake fragments (RFC 6347, Section
// 4.2.3).
const smallMTU = 300

// smallRetransmitTimeout is our retransmission timer in the small-datagram
// cases. GnuTLS reads handshake datagrams about ten a second, so a flight
// of 30 takes it 3 s to read; with the default 1 s timer we would send
// the flight again while it was still reading. With a timer this long, a
// retransmission means the peer could not use our fragments.
const smallRetransmitTimeout = 10 * time.Second

// TestInteropSmallDatagrams runs handshakes with a large certificate chain
// in which both sides size their datagrams for a 300-byte MTU, through a
// relay that records every datagram. As a client, our side also presents
// the large chain to a server that requires it, so that both sides
// fragment a flight and reassemble the other's.
func TestInteropSmallDatagrams(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, true)
	var cases []interopCase
	for _, s := range []struct {
		version peer.Version
		suite   string
	}{
		{peer.DTLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{peer.DTLS12, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{peer.DTLS10, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		{peer.DTLS10, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	} {
		c := newInteropCase(t, s.version, s.suite, chains)
		c.mtu = smallMTU
		cases = append(cases, c)
	}
	for _, tool := range []struct {
		name           string
		server, client interopPeer
	}{
		{"OpenSSL", sServerPeer, sClientPeer},
		{"GnuTLS", gnutlsServPeer, gnutlsCliPeer},
	} {
		for _, c := range cases {
			// GnuTLS 3.7 fails with GNUTLS_E_INTERNAL_ERROR to send a
			// flight of 32 records or more (MAX_QUEUE in its
			// lib/buffers.c): in 272-byte datagrams, gnutls-serv cannot
			// send the large RSA chain, whoever the client.
			if tool.server.name != "gnutls-serv" || c.chain != chains.rsa {
				t.Run(tool.name+"/client/"+c.name(), func(t *testing.T) {
					t.Parallel()
					c := c // the server subtest shares the loop's c
					c.clientCert = true
					testOurClient(t, tool.server, c)
				})
			}
			t.Run(tool.name+"/server/"+c.name(), func(t *testing.T) {
				t.Parallel()
				c := c
				// Both sides fragment a chain, except where the
				// client is gnutls-cli with the RSA chain, which it
				// cannot send (the same GnuTLS limit as above).
				c.clientCert = tool.client.name != "gnutls-cli" || c.chain != chains.rsa
				testOurServer(t, tool.client, c)
			})
		}
	}
}
