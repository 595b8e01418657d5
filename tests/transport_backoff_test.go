//go:build linux

package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// backoffBound is the time a handshake through a black hole of
// TestTransportBlackHoleBackoff must take less than: each timeout takes
// the server's flight one rung down the ladder (1500, 1400, 1280, 1200,
// 1000, 576) without doubling the timer, so even five rungs take about
// five initial timer periods.
const backoffBound = 6 * time.Second

// TestTransportBlackHoleBackoff runs handshakes whose server flight cannot
// reach the client: the first router silently drops every datagram toward
// the client in an IPv4 packet above 1000 or 600 bytes, and no ICMP error
// says so. The server presents a large ECDSA chain (about 6 KB, so that
// its flight takes five datagrams at 1500 bytes) or one RSA-4096
// certificate (a flight of two datagrams of about 1050 bytes, which used
// to stop backing off at 1200). Each timeout must take the flight one rung
// down, below BASE_PLPMTU too, and the handshake must complete in under
// 6 s (issue 8, item 3). The twin of TestBlackHoleBackoff in transport.
//
// The subtests run together, but not with the rest of the package: they
// time handshakes.
func TestTransportBlackHoleBackoff(t *testing.T) {
	large := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	rsa := peer.NewChain(t, peer.ChainOptions{Key: peer.RSA4096, NoIntermediate: true})
	for _, c := range []struct {
		name  string
		chain *peer.Chain
	}{
		{"ecdsa-chain-6KB", large},
		{"rsa-4096", rsa},
	} {
		for _, hole := range []int{1000, 600} {
			t.Run(fmt.Sprintf("%s/%d", c.name, hole), func(t *testing.T) {
				t.Parallel()
				testBlackHoleBackoff(t, c.chain, hole)
			})
		}
	}
}

func testBlackHoleBackoff(t *testing.T, chain *peer.Chain, hole int) {
	tp := netns.New(t, netns.Options{ToClientMTU: hole})
	cc, sc := certConfigs(chain, chain.Certificate)
	ctr, str := tracePath(cc), tracePath(sc)
	l := listenIn(t, tp.Server, transport.ListenConfig{}, "udp4", sc)
	accepted := make(chan *transport.Conn, 1)
	go func() {
		c, err := l.AcceptContext(t.Context())
		if err == nil {
			accepted <- c
		}
	}()
	client, took, err := dialIn(tp.Client, transport.Dialer{}, l, cc)
	if err != nil {
		str.log(t, "server")
		t.Fatalf("Dial: %v after %v; listener %+v", err, took, l.Stats())
	}
	defer client.Close()
	var server *transport.Conn
	select {
	case server = <-accepted:
		defer server.Close()
	case <-time.After(engineWait):
		t.Fatalf("no association accepted within %v", engineWait)
	}
	s := server.PathStats()
	t.Logf("%d-byte chain: handshake in %v; server: %d timer expiries, %+v, path MTU %d; %d datagrams dropped as too long; server flights:\n%s",
		chainSize(chain), took, str.count(), s, server.PathMTU(), tp.Counters(t).TooLong, flights(str))
	if took >= backoffBound {
		t.Errorf("handshake through a %d-byte black hole took %v; want less than %v", hole, took, backoffBound)
	}
	if mtu := server.PathMTU(); mtu > hole {
		t.Errorf("the server's path MTU is %d after the handshake; want at most %d", mtu, hole)
	}
	if s.LostFlights == 0 || s.ICMPAccepted != 0 {
		t.Errorf("server %+v; want flights lost to the black hole and no ICMP", s)
	}
	sendFull(t, server, client)
	sendFull(t, client, server)
	if t.Failed() {
		ctr.log(t, "client")
		str.log(t, "server")
	}
}

// flights returns the lines of tr that tell of flights sent, one a line.
func flights(tr *timerTrace) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var b strings.Builder
	for _, l := range tr.lines {
		if strings.HasPrefix(l, "sent flight") || strings.HasPrefix(l, "retransmitting") {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
	}
	return b.String()
}
