package tests

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// TestInteropHeartbeat checks the in-band path probe against GnuTLS
// (OpenSSL 3.0 is built without heartbeats): gnutls-serv --heartbeat
// accepts our requests (RFC 6520 §2) and answers a HeartbeatRequest padded
// to 1200 bytes with a HeartbeatResponse carrying its payload.
func TestInteropHeartbeat(t *testing.T) {
	t.Parallel()
	testenv.LookPath(t, "gnutls-serv")
	c := newInteropCase(t, peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", interopChains{})
	opts := c.peerOptions()
	opts.Args = []string{"--heartbeat"}
	server := peer.GnuTLSServer(t, opts)
	// The transport's own probes use the heartbeat handler; this test
	// drives heartbeats by hand, over a dtls.Conn of its own
	// (TestInteropProbeGnuTLS probes through the transport).
	uc, err := net.Dial("udp", server.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	conn := dtls.Client(uc, c.clientConfig(t))
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	if err := conn.HandshakeContext(ctx); err != nil {
		t.Fatalf("handshake with %v: %v", server.Addr, err)
	}
	if !conn.HeartbeatAllowed() {
		t.Fatal("gnutls-serv --heartbeat did not allow our HeartbeatRequests")
	}
	acked := make(chan string, 1)
	conn.SetHeartbeatHandler(func(p []byte) { acked <- string(p) })
	n, err := conn.SendHeartbeat([]byte("pmtu probe 1"), 1200)
	if err != nil || n != 1200 {
		t.Fatalf("SendHeartbeat(1200) = %d, %v", n, err)
	}
	// The engine processes the response on its own: nobody reads.
	select {
	case p := <-acked:
		if p != "pmtu probe 1" {
			t.Fatalf("acknowledged %q, want the probe's payload", p)
		}
	case <-time.After(interopTimeout):
		t.Fatal("no HeartbeatResponse")
	}
}
