package tests

import (
	"testing"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// mbedTLSMTU is the link MTU of the Mbed TLS cases: 572-byte datagrams,
// too small for an ECDSA certificate chain, so that both sides fragment
// their Certificate messages and reassemble the other's.
const mbedTLSMTU = 600

// mbedTLSPeers returns the Mbed TLS server and client of tool as peers of
// the interop harness. The server echoes, and both exit once the
// connection is closed; the client closes it when its standard input
// closes.
func mbedTLSPeers(tool *peer.MbedTLS) (server, client interopPeer) {
	server = interopPeer{
		name:       "mbedtls-server",
		start:      tool.Server,
		done:       peer.MbedTLSHandshakeDone,
		echo:       true,
		exits:      true,
		check:      checkMbedTLS,
		clientAuth: mbedTLSServerClientAuth,
	}
	client = interopPeer{
		name:       "mbedtls-client",
		start:      tool.Client,
		done:       peer.MbedTLSHandshakeDone,
		closes:     true,
		exits:      true,
		check:      checkMbedTLS,
		clientAuth: mbedTLSClientCertificate,
	}
	return server, client
}

// TestInteropMbedTLS runs our client against an Mbed TLS 2.28 server and
// our server against an Mbed TLS 2.28 client, DTLS 1.2, with certificates
// and with a PSK, in datagrams sized for a 600-byte MTU. With
// certificates, each side presents a chain that takes more than one
// datagram, so each sends a split Certificate message followed by more
// messages of its flight. Mbed TLS 2.28 reads nothing after the last
// fragment of a split message in a record, so it completes a handshake
// only if that fragment ends its record.
//
// The PSK flights fit in one datagram each. No MTU would split them and
// still work: Mbed TLS 2.28 never fragments its own ClientHello, and its
// server rejects a fragmented one ("Processing of the ClientHello
// handshake message failed"), while our ClientHello is larger than any
// message of the PSK flights that follow it.
func TestInteropMbedTLS(t *testing.T) {
	t.Parallel()
	server, client := mbedTLSPeers(peer.BuildMbedTLS(t))
	chains := newInteropChains(t, false)
	for _, suite := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256"} {
		c := newInteropCase(t, peer.DTLS12, suite, chains)
		c.mtu = mbedTLSMTU
		c.clientCert = c.chain != nil
		t.Run("client/"+c.name(), func(t *testing.T) {
			t.Parallel()
			c := c
			c.noPSKHint = true
			testOurClient(t, server, c)
		})
		t.Run("server/"+c.name(), func(t *testing.T) {
			t.Parallel()
			testOurServer(t, client, c)
		})
	}
}

// mbedTLSVersionNames are the names the Mbed TLS peers give the versions.
var mbedTLSVersionNames = map[peer.Version]string{peer.DTLS10: "DTLSv1.0", peer.DTLS12: "DTLSv1.2"}

// checkMbedTLS checks the version and suite an Mbed TLS peer reports.
func checkMbedTLS(t *testing.T, p *peer.Peer, c interopCase) {
	t.Helper()
	m := p.Await(t, peer.MbedTLSHandshakeDone, interopTimeout)
	if m[1] != mbedTLSVersionNames[c.version] || m[2] != peer.MbedTLSName(c.suite) {
		t.Errorf("Mbed TLS negotiated %s %s, want %s %s", m[1], m[2], mbedTLSVersionNames[c.version], peer.MbedTLSName(c.suite))
	}
	if c.clientCert {
		p.Await(t, `(?m)^peer certificate: yes$`, interopTimeout)
	}
}

// mbedTLSServerClientAuth makes the Mbed TLS server require a client
// certificate that chains to chain's root.
func mbedTLSServerClientAuth(chain *peer.Chain) []string {
	return []string{"-verify", "-CAfile", chain.CAFile}
}

// mbedTLSClientCertificate makes the Mbed TLS client present chain.
func mbedTLSClientCertificate(chain *peer.Chain) []string {
	return []string{"-cert", chain.CertFile, "-key", chain.KeyFile}
}
