package tests

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// Secure renegotiation (RFC 5746) with OpenSSL and GnuTLS, in both
// directions and both roles: our Rehandshake against their client and
// server, and their renegotiations (openssl's "R" command, gnutls-cli
// --rehandshake) against ours; and an OpenSSL 3 server's refusal of a
// client's renegotiation, after which the association goes on. Each side
// checks that data flows after it. gnutls-serv never asks for one.

// awaitRenegotiations waits until events count n completed
// renegotiations.
func awaitRenegotiations(t *testing.T, events *eventCounts, n int) {
	t.Helper()
	if got := events.awaitCount("renegotiation complete", n); got < n {
		t.Fatalf("%d renegotiations completed, want %d", got, n)
	}
}

// renegSuites are the suites renegotiated with each peer.
var renegSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_PSK_WITH_AES_128_CBC_SHA"}

func TestInteropOpenSSLRenegotiation(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, v := range interopVersions {
		for _, name := range renegSuites {
			c := newInteropCase(t, v, name, chains)
			t.Run("our server asks/"+c.name(), func(t *testing.T) {
				t.Parallel()
				ourServerAsks(t, c, startOpenSSLClient)
			})
			t.Run("s_client asks/"+c.name(), func(t *testing.T) {
				t.Parallel()
				opts := c.peerOptions()
				opts.Stdin = peer.Script{{Await: peer.OpenSSLClientHandshakeDone, Line: "R"}}
				peerClientAsks(t, c, opts, startOpenSSLClient)
			})
			t.Run("our client asks/"+c.name(), func(t *testing.T) {
				t.Parallel()
				opts := c.peerOptions()
				opts.Args = []string{"-client_renegotiation"} // OpenSSL 3 servers refuse by default
				ourClientAsks(t, c, peer.OpenSSLServer(t, opts), `(?m)^%s$`)
			})
			t.Run("our client refused/"+c.name(), func(t *testing.T) {
				t.Parallel()
				server := peer.OpenSSLServer(t, c.peerOptions())
				conn := dial(t, server.Addr, c.clientConfig(t))
				if err := conn.Rehandshake(context.Background()); !errors.Is(err, dtls.ErrRenegotiationRefused) {
					t.Fatalf("Rehandshake: %v, want ErrRenegotiationRefused", err)
				}
				writeLine(t, conn, "after the refusal")
				server.Await(t, `(?m)^after the refusal$`, interopTimeout)
			})
			t.Run("s_server asks/"+c.name(), func(t *testing.T) {
				t.Parallel()
				opts := c.peerOptions()
				opts.Stdin = peer.Script{{Await: peer.OpenSSLServerHandshakeDone, Line: "R"}}
				server := peer.OpenSSLServer(t, opts)
				cfg := c.clientConfig(t)
				cfg.Renegotiation = dtls.RenegotiateFreely
				events := countEvents(t, cfg)
				conn := dial(t, server.Addr, cfg)
				awaitRenegotiations(t, events, 1)
				writeLine(t, conn, "after the renegotiation")
				server.Await(t, `(?m)^after the renegotiation$`, interopTimeout)
			})
		}
	}
}

func TestInteropGnuTLSRenegotiation(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, name := range renegSuites {
		c := newInteropCase(t, peer.DTLS12, name, chains)
		t.Run("our server asks/"+c.name(), func(t *testing.T) {
			t.Parallel()
			ourServerAsks(t, c, startGnuTLSClient)
		})
		t.Run("gnutls-cli asks/"+c.name(), func(t *testing.T) {
			t.Parallel()
			opts := c.peerOptions()
			opts.Args = []string{"--rehandshake"}
			peerClientAsks(t, c, opts, startGnuTLSClient)
		})
		t.Run("our client asks/"+c.name(), func(t *testing.T) {
			t.Parallel()
			server := peer.GnuTLSServer(t, c.peerOptions())
			cfg := c.clientConfig(t)
			events := countEvents(t, cfg)
			conn := dial(t, server.Addr, cfg)
			if err := conn.Rehandshake(context.Background()); err != nil {
				t.Fatalf("Rehandshake: %v", err)
			}
			awaitRenegotiations(t, events, 1)
			writeLine(t, conn, "after the renegotiation")
			readLine(t, conn, "after the renegotiation") // gnutls-serv echoes
		})
	}
}

// A peerClient starts a peer's client with opts, connecting to addr.
type peerClient func(t *testing.T, opts peer.Options) *peer.Peer

func startOpenSSLClient(t *testing.T, opts peer.Options) *peer.Peer {
	return peer.OpenSSLClient(t, opts)
}
func startGnuTLSClient(t *testing.T, opts peer.Options) *peer.Peer { return peer.GnuTLSClient(t, opts) }

// ourServerAsks accepts the peer's client, renegotiates, and sends a line
// that the client must print.
func ourServerAsks(t *testing.T, c interopCase, start peerClient) {
	l := listen(t, c.serverConfig(t))
	opts := c.peerOptions()
	opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
	client := start(t, opts)
	conn := accept(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	if err := conn.Rehandshake(ctx); err != nil {
		t.Fatalf("Rehandshake: %v", err)
	}
	writeLine(t, conn, "after the renegotiation")
	client.Await(t, `(?m)^after the renegotiation$`, interopTimeout)
}

// peerClientAsks accepts a client that renegotiates as opts tells it, and
// checks that the renegotiation completed and data flows after it.
func peerClientAsks(t *testing.T, c interopCase, opts peer.Options, start peerClient) {
	cfg := c.serverConfig(t)
	cfg.Renegotiation = dtls.RenegotiateFreely
	events := countEvents(t, cfg)
	l := listen(t, cfg)
	opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
	client := start(t, opts)
	conn := accept(t, l)
	awaitRenegotiations(t, events, 1)
	writeLine(t, conn, "after the renegotiation")
	client.Await(t, `(?m)^after the renegotiation$`, interopTimeout)
}

// ourClientAsks connects to the peer's server, renegotiates, and sends a
// line that the server must print (linePattern, with %s for the line).
func ourClientAsks(t *testing.T, c interopCase, server *peer.Peer, linePattern string) {
	cfg := c.clientConfig(t)
	events := countEvents(t, cfg)
	conn := dial(t, server.Addr, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	if err := conn.Rehandshake(ctx); err != nil {
		t.Fatalf("Rehandshake: %v", err)
	}
	awaitRenegotiations(t, events, 1)
	line := "after the renegotiation"
	writeLine(t, conn, line)
	server.Await(t, strings.Replace(linePattern, "%s", regexp.QuoteMeta(line), 1), interopTimeout)
}
