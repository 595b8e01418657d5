//go:build linux

package tests

import (
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/pmtu"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The tests in this file have a server application that only writes, as
// a media sender does, and a client application that only reads (issue 8,
// item 1): the engines must answer each other's probes, heartbeats and
// retransmitted flights on their own.

// writeOnlyInterval is how often the write-only server writes a record of
// its MaxPayload.
const writeOnlyInterval = 20 * time.Millisecond

// TestTransportWriteOnlyKeepsPathMTU runs a write-only server and a
// read-only client across a 1400-byte link between two routers, with 1500
// at both ends, the routers sending ICMP or not at all, with short pmtu
// timers (probeTimers). Once both searches complete, both path MTUs must
// be the true 1400, must stay there through a raise timer, and must never
// have fallen below BASE_PLPMTU on the way (1200 for IPv4, 1280 for IPv6,
// the IPv6 minimum); every record written arrives. The twin of
// TestWriteOnlyServerKeepsPathMTU in transport.
func TestTransportWriteOnlyKeepsPathMTU(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})
	for _, network := range []string{"udp4", "udp6"} {
		for _, blackHole := range []bool{false, true} {
			name := network + "/icmp"
			if blackHole {
				name = network + "/black-hole"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				testWriteOnlyKeepsPathMTU(t, network, blackHole, chain)
			})
		}
	}
}

func testWriteOnlyKeepsPathMTU(t *testing.T, network string, blackHole bool, chain *peer.Chain) {
	const want = 1400
	base := 1200
	if network == "udp6" {
		base = 1280
	}
	tp := netns.New(t, netns.Options{MTUs: []int{1500, want, 1500}, BlackHole: blackHole})
	cc, sc := certConfigs(chain, chain.Certificate)
	ctr, str := tracePath(cc), tracePath(sc)
	l := listenIn(t, tp.Server, probeListenConfig(), network, sc)
	w := serveWriteOnly(t, l, writeOnlyInterval)
	client, took, err := dialIn(tp.Client, probeDialer(), l, cc)
	if err != nil {
		ctr.log(t, "client")
		str.log(t, "server")
		t.Fatalf("Dial: %v", err)
	}
	server := w.conn(t)
	watches := []*mtuWatch{watchMTU(t, client), watchMTU(t, server)}
	r := startReadOnly(t, client)
	both := []*transport.Conn{client, server}
	waitUntil(t, "both searches to complete", func() bool {
		for _, c := range both {
			if c.PathStats().Search != pmtu.SearchComplete {
				return false
			}
		}
		return true
	})
	// A raise timer later the searches have tried above the path MTU
	// again and come back, and the confirmations have run meanwhile.
	time.Sleep(probeTimers.raise + probeTimers.confirm)
	w.stop()
	written := w.written.Load()
	waitUntil(t, "every record written to arrive", func() bool { return r.read.Load() >= written })
	if got := r.read.Load(); got != written {
		t.Errorf("the client read %d records; the server wrote %d", got, written)
	}
	for i, who := range []string{"client", "server"} {
		checkKeptPathMTU(t, who, both[i], watches[i], want, base)
	}
	t.Logf("handshake in %v; %d records of up to %d bytes written and read", took, written, server.MaxPayload())
	if t.Failed() {
		ctr.log(t, "client")
		str.log(t, "server")
	}
}

// checkKeptPathMTU checks that who's association c, whose path MTUs w
// watched, has the path MTU want, never had one below base, and probes.
func checkKeptPathMTU(t *testing.T, who string, c *transport.Conn, w *mtuWatch, want, base int) {
	t.Helper()
	seen, lowest := w.history()
	t.Logf("%s: path MTU %d, seen %v; %+v; %+v", who, c.PathMTU(), seen, c.PathStats(), c.Stats())
	if got := c.PathMTU(); got != want {
		t.Errorf("the %s's path MTU is %d; want %d", who, got, want)
	}
	if lowest < base {
		t.Errorf("the %s's path MTU fell to %d on the way; want never below BASE %d", who, lowest, base)
	}
	// The raise timer may have started a new search meanwhile.
	if s := c.PathStats(); s.ProbesAcked == 0 || s.Search == pmtu.Disabled {
		t.Errorf("the %s's %+v; want probes answered", who, s)
	}
}

// TestTransportLostFinalFlight drops the server's final flight once (the
// first datagram from the server that starts with a ChangeCipherSpec
// record, content type 20), with a server application that only writes:
// the client's retransmitted flight must be answered by the server's
// engine, and the handshake completes in about one retransmission timer
// (1 s), not two. The twin of TestLostFinalFlightWriteOnlyServer in
// transport.
func TestTransportLostFinalFlight(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{DropOnce: []byte{20}})
			cc, sc := pskConfigs()
			ctr, str := tracePath(cc), tracePath(sc)
			l := listenIn(t, tp.Server, transport.ListenConfig{}, network, sc)
			w := serveWriteOnly(t, l, writeOnlyInterval)
			client, took, err := dialIn(tp.Client, transport.Dialer{}, l, cc)
			if err != nil {
				ctr.log(t, "client")
				str.log(t, "server")
				t.Fatalf("Dial: %v", err)
			}
			server := w.conn(t)
			r := startReadOnly(t, client)
			waitUntil(t, "a record from the write-only server", func() bool { return r.read.Load() > 0 })
			dropped := tp.Counters(t).DroppedOnce
			t.Logf("handshake in %v; %d datagram dropped; client timer expiries %d, %+v; server %+v, %+v",
				took, dropped, ctr.count(), client.Stats(), server.Stats(), server.PathStats())
			if dropped != 1 {
				t.Fatalf("the router dropped %d datagrams of the server's; want its final flight, once", dropped)
			}
			if took < time.Second || took >= 2*time.Second {
				t.Errorf("handshake took %v; want one retransmission timer, 1 s to 2 s", took)
			}
			if n := ctr.count(); n != 1 {
				t.Errorf("the client's timer expired %d times; want once", n)
			}
			if n := server.Stats().Retransmissions; n != 1 {
				t.Errorf("the server sent its final flight again %d times; want once", n)
			}
			if t.Failed() {
				ctr.log(t, "client")
				str.log(t, "server")
			}
		})
	}
}
