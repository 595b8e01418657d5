//go:build linux

package tests

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/pmtu"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The probing tests of issue 5: after the handshake, both ends probe their
// path with padded heartbeat requests while each application reads in a
// goroutine, as a real one does. The pmtu timers are shortened
// (probeTimers) so that a search takes a fraction of a second.

// maxSearchProbes bounds the probes of a search from BASE_PLPMTU to a
// 1400-byte bottleneck: a few plateaus and a bisection to the byte, each
// size above the bottleneck lost up to MAX_PROBES times.
const maxSearchProbes = 16

// TestTransportProbeBlackHole runs the handshake through a black hole in
// front of a 1400-byte link, so that it completes at BASE_PLPMTU, and
// checks that the client's probes, with no ICMP at all, find the exact
// bottleneck.
func TestTransportProbeBlackHole(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1400}, BlackHole: true})
			p := connectWith(t, tp, network, chain, probeDialer(), probeListenConfig())
			clientMTU := p.client.PathMTU()
			if !p.client.Probing() || !p.server.Probing() {
				t.Fatalf("Probing() = %v, %v; want both true", p.client.Probing(), p.server.Probing())
			}
			startReader(t, p.client)
			toServer := startReader(t, p.server)
			took := waitPathMTU(t, p.client, 1400)
			s := p.client.PathStats()
			t.Logf("path MTU %d after the handshake, 1400 after %v; %+v", clientMTU, took, s)
			if clientMTU >= 1400 {
				t.Errorf("path MTU %d after a handshake through a black hole; want below 1400", clientMTU)
			}
			if s.ProbesAcked == 0 || s.ProbesSent > maxSearchProbes || s.ICMPAccepted != 0 {
				t.Errorf("%+v; want probes acknowledged, at most %d sent, no ICMP", s, maxSearchProbes)
			}
			sendRead(t, p.client, toServer)
			if got := p.client.PathMTU(); got != 1400 {
				t.Errorf("path MTU %d after a full-size datagram; want 1400", got)
			}
		})
	}
}

// TestTransportProbeMidSession narrows the server's link from 1500 to 1280
// behind a black hole during the session: the client's confirmation probes
// go unanswered, its search falls back and finds 1280, and MaxPayload
// follows. When the link widens again, the raise timer finds 1500.
func TestTransportProbeMidSession(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1500}, BlackHole: true})
			p := connectWith(t, tp, network, chain, probeDialer(), probeListenConfig())
			startReader(t, p.client)
			toServer := startReader(t, p.server)
			waitPathMTU(t, p.client, 1500)
			wide := p.client.MaxPayload()
			sendRead(t, p.client, toServer)

			tp.SetMTU(t, 1, 1280)
			took := waitPathMTU(t, p.client, 1280)
			narrow := p.client.MaxPayload()
			t.Logf("1500 -> 1280 in %v, MaxPayload %d -> %d; %+v", took, wide, narrow, p.client.PathStats())
			if narrow != wide-220 {
				t.Errorf("MaxPayload %d after the link narrowed by 220 bytes; want %d", narrow, wide-220)
			}
			if s := p.client.PathStats(); s.ProbesLost == 0 || s.ICMPAccepted != 0 {
				t.Errorf("%+v; want lost probes and no ICMP", s)
			}
			sendRead(t, p.client, toServer)
			// Only the raise timer makes a completed search try a larger
			// size; confirmations probe the size in use.
			waitUntil(t, "the search to complete", func() bool {
				return p.client.PathStats().Search == pmtu.SearchComplete
			})

			tp.SetMTU(t, 1, 1500)
			took = waitPathMTU(t, p.client, 1500)
			t.Logf("1280 -> 1500 in %v (raise timer %v); %+v", took, probeTimers.raise, p.client.PathStats())
			if got := p.client.MaxPayload(); got != wide {
				t.Errorf("MaxPayload %d after the link widened again; want %d", got, wide)
			}
			sendRead(t, p.client, toServer)
		})
	}
}

// TestTransportProbeForgedICMP floods the client with forged ICMP errors
// from the router during a session: about other ports, quoting records
// never sent, and reporting an MTU not below the size of a datagram the
// client did send. Nothing changes: every one that reaches the client's
// socket is rejected, the path MTU stays, and data flows both ways.
func TestTransportProbeForgedICMP(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			testTransportProbeForgedICMP(t, network, chain)
		})
	}
}

func testTransportProbeForgedICMP(t *testing.T, network string, chain *peer.Chain) {
	tp := netns.New(t, netns.Options{MTUs: []int{1500, 1500}})
	sniff := sniffUDP(t, tp.Server, network)
	// The default timers: the search completes within a few probes after
	// the handshake (its datagrams are sized evenly, below the path MTU),
	// and no confirmation is due during the flood, whose load may well
	// drop a probe, as it may drop any datagram.
	p := connectWith(t, tp, network, chain, transport.Dialer{}, transport.ListenConfig{})
	toClient, toServer := startReader(t, p.client), startReader(t, p.server)
	waitUntil(t, "the search to complete at 1500", func() bool {
		return p.client.PathStats().Search == pmtu.SearchComplete && p.client.PathMTU() == 1500
	})
	local := netip.MustParseAddrPort(p.client.LocalAddr().String())
	remote := netip.MustParseAddrPort(p.client.RemoteAddr().String())
	sendRead(t, p.client, toServer)
	sent := sniff(local, remote)
	size := len(sent) + 28
	if network == "udp6" {
		size = len(sent) + 48
	}
	other := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr(), ap.Port()^0x5555) }
	msgs := [][]byte{
		tooBig(t, local, other(remote), 1280, sent),
		tooBig(t, other(local), remote, 1280, sent),
		tooBig(t, local, remote, 1280, dtlsRecord(1, 1<<40, len(sent))),
		tooBig(t, local, remote, size, sent),
		tooBig(t, local, remote, 1500, sent),
	}
	forger := openForger(t, tp.Routers[0], network)
	var stop atomic.Bool
	flooded := make(chan error, 1)
	go func() {
		dst := &net.IPAddr{IP: local.Addr().AsSlice()}
		for i := 0; !stop.Load(); i++ {
			if _, err := forger.c.WriteTo(msgs[i%len(msgs)], dst); err != nil {
				flooded <- err
				return
			}
		}
		flooded <- nil
	}()
	waitUntil(t, "forged ICMP to be rejected", func() bool { return p.client.PathStats().ICMPRejected > 0 })
	// The flood fills the client's backlog, which may drop a datagram: send
	// each again until it arrives, as the kernel tests do.
	const datagrams = 50
	resent := 0
	for range datagrams {
		resent += sendUntilRead(t, p.client, toServer)
		resent += sendUntilRead(t, p.server, toClient)
	}
	stop.Store(true)
	if err := <-flooded; err != nil {
		t.Fatalf("flood: %v", err)
	}
	s := p.client.PathStats()
	t.Logf("%d datagrams each way during the flood, %d sent again; %+v", datagrams, resent, s)
	if s.ICMPAccepted != 0 || s.ICMPRejected == 0 {
		t.Errorf("%+v; want no ICMP accepted and some rejected", s)
	}
	if got := p.client.PathMTU(); got != 1500 {
		t.Errorf("path MTU %d after the flood; want 1500", got)
	}
}

// TestInteropProbeGnuTLS probes the path to gnutls-serv --heartbeat, which
// answers our heartbeat requests, and checks that the transport probes
// with them while the application reads.
func TestInteropProbeGnuTLS(t *testing.T) {
	t.Parallel()
	testenv.LookPath(t, "gnutls-serv")
	c := newInteropCase(t, peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", interopChains{})
	opts := c.peerOptions()
	opts.Args = []string{"--heartbeat"}
	server := peer.GnuTLSServer(t, opts)
	conn := dialWith(t, probeDialer(), server.Addr, c.clientConfig(t))
	if !conn.Probing() {
		t.Fatal("Probing() = false with gnutls-serv --heartbeat")
	}
	startReader(t, conn)
	waitUntil(t, "a probe to be answered", func() bool { return conn.PathStats().ProbesAcked > 0 })
	t.Logf("path MTU %d; %+v", conn.PathMTU(), conn.PathStats())
}

// TestInteropProbeOpenSSL checks that against OpenSSL 3.0, built without
// heartbeats, the transport does not probe and says so.
func TestInteropProbeOpenSSL(t *testing.T) {
	t.Parallel()
	testenv.LookPath(t, "openssl")
	c := newInteropCase(t, peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", interopChains{})
	server := peer.OpenSSLServer(t, c.peerOptions())
	conn := dialWith(t, probeDialer(), server.Addr, c.clientConfig(t))
	if s := conn.PathStats(); conn.Probing() || s.ProbesSent != 0 || s.Search != pmtu.Disabled {
		t.Errorf("Probing() = %v, %+v with openssl s_server; want no probing", conn.Probing(), s)
	}
}

// probingDials is the number of handshakes of
// TestTransportProbingWhenDialReturns.
const probingDials = 1000

// TestTransportProbingWhenDialReturns dials 1000 times and asks Probing at
// once each time: a handshake that completed with a peer that accepts
// heartbeats must be probing when Dial returns, as Conn.Probing documents
// and as callers (pmtu probe -dtls, TestTransportProbeBlackHole) rely on.
// The engine closes the handshake's done channel before the transport's
// handshake callback starts the prober, on the client's reader goroutine,
// so Dial can return first; the test counts how often that happens, and
// checks that those associations do start probing a moment later.
func TestTransportProbingWhenDialReturns(t *testing.T) {
	t.Parallel()
	tp := netns.New(t, netns.Options{})
	cc, sc := pskConfigs()
	l := listenIn(t, tp.Server, transport.ListenConfig{}, "udp4", sc)
	serveEcho(t, l)
	late := 0
	for i := range probingDials {
		c, _, err := dialIn(tp.Client, transport.Dialer{}, l, cc)
		if err != nil {
			t.Fatalf("Dial %d: %v", i, err)
		}
		if !c.Probing() {
			late++
			waitUntil(t, "the late association to probe", c.Probing)
		}
		c.Close()
	}
	if late != 0 {
		t.Errorf("Probing() = false when Dial returned %d times in %d (each probing a moment later)", late, probingDials)
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
