package tests

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
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
	// The transport's own probes would use the heartbeat handler; this
	// test drives heartbeats by hand (TestInteropProbeGnuTLS probes).
	conn := dialWith(t, transport.Dialer{DisableProbing: true}, server.Addr, c.clientConfig(t))
	if !conn.HeartbeatAllowed() {
		t.Fatal("gnutls-serv --heartbeat did not allow our HeartbeatRequests")
	}
	var acked []string
	conn.SetHeartbeatHandler(func(p []byte) { acked = append(acked, string(p)) })
	n, err := conn.SendHeartbeat([]byte("pmtu probe 1"), 1200)
	if err != nil || n != 1200 {
		t.Fatalf("SendHeartbeat(1200) = %d, %v", n, err)
	}
	// The response is processed inside Read; the echo of a line ends it.
	writeLine(t, conn, "after the probe")
	readLine(t, conn, "after the probe")
	if err := conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for len(acked) == 0 {
		if _, err := conn.Read(make([]byte, 2048)); err != nil {
			break
		}
	}
	if len(acked) != 1 || acked[0] != "pmtu probe 1" {
		t.Fatalf("acknowledged %q, want the probe's payload", acked)
	}
}

// dialWith is dial with the Dialer d.
func dialWith(t *testing.T, d transport.Dialer, addr netip.AddrPort, cfg *dtls.Config) *transport.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	conn, err := d.Dial(ctx, "udp", addr.String(), cfg)
	if err != nil {
		t.Fatalf("handshake with %v: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
