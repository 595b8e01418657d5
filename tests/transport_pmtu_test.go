//go:build linux

package tests

import (
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The transport PMTU tests of issue 5 run our client and server in the
// namespaces of a netns topology, with a 1280-byte link on one side of the
// router, and a certificate chain of several kilobytes on both sides (the
// server requires a client certificate), so that the side in front of the
// wide link sends flights that do not fit the path. That side must learn
// the path MTU: from the router's ICMP message at once, without waiting for
// its retransmission timer, or, through a black hole, from its first
// timeouts. No IP fragment may reach either end.

// pmtuCase is one bottleneck placement.
type pmtuCase struct {
	name string
	mtus []int
	// learner says which side sends into the bottleneck and must learn.
	clientLearns bool
}

var pmtuCases = []pmtuCase{
	{"client-learns", []int{1500, 1280}, true},
	{"server-learns", []int{1280, 1500}, false},
}

func TestTransportPMTUHandshake(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	for _, network := range []string{"udp4", "udp6"} {
		for _, c := range pmtuCases {
			for _, blackHole := range []bool{false, true} {
				name := network + "/" + c.name + "/icmp"
				if blackHole {
					name = network + "/" + c.name + "/black-hole"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					testTransportPMTUHandshake(t, network, c, blackHole, chain)
				})
			}
		}
	}
}

func testTransportPMTUHandshake(t *testing.T, network string, c pmtuCase, blackHole bool, chain *peer.Chain) {
	tp := netns.New(t, netns.Options{MTUs: c.mtus, BlackHole: blackHole})
	clientReasm, serverReasm := reasmReqds(t, tp.Client), reasmReqds(t, tp.Server)
	p := connectPMTU(t, tp, network, chain)
	learner, other, who := p.server, p.client, "server"
	learnerTr, otherTr := p.serverTr, p.clientTr
	if c.clientLearns {
		learner, other, who = p.client, p.server, "client"
		learnerTr, otherTr = p.clientTr, p.serverTr
	}
	ls, os := learner.PathStats(), other.PathStats()
	t.Logf("handshake in %v; %s: path MTU %d, %+v; other side: path MTU %d, %+v",
		p.elapsed, who, learner.PathMTU(), ls, other.PathMTU(), os)
	if t.Failed() || testing.Verbose() {
		learnerTr.log(t, who)
	}
	if mtu := learner.PathMTU(); mtu > 1280 {
		t.Errorf("the %s's path MTU is %d; want at most 1280", who, mtu)
	}
	if blackHole {
		// The other side's timer runs too, waiting for the flight the
		// black hole swallows; only the learner's count is bounded.
		if ls.ICMPAccepted != 0 {
			t.Errorf("the %s accepted %d ICMP messages through a black hole", who, ls.ICMPAccepted)
		}
		// The first lost flight (our timer, or the peer's retransmission
		// telling us) sends the next one at BASE, which fits: the
		// handshake costs one initial timer period.
		if n := ls.LostFlights; n != 1 {
			t.Errorf("the %s lost %d flights; want 1", who, n)
		}
		if p.elapsed > 1500*time.Millisecond {
			t.Errorf("handshake through a black hole took %v; want about one initial timer period (1 s)", p.elapsed)
		}
	} else {
		if n := otherTr.count(); n != 0 || os.LostFlights != 0 {
			t.Errorf("the other side lost %d flights (timer expiries in its trace: %d); want 0", os.LostFlights, n)
		}
		if ls.ICMPAccepted == 0 || ls.ICMPRejected != 0 {
			t.Errorf("the %s accepted %d and rejected %d ICMP messages; want at least 1 and 0", who, ls.ICMPAccepted, ls.ICMPRejected)
		}
		if n := learnerTr.count(); n != 0 || ls.LostFlights != 0 {
			t.Errorf("the %s lost %d flights (timer expiries in its trace: %d); want 0", who, ls.LostFlights, n)
		}
	}
	sendFull(t, p.client, p.server)
	sendFull(t, p.server, p.client)
	if got := reasmReqds(t, tp.Client); got != clientReasm {
		t.Errorf("the client received %d IP fragments", got-clientReasm)
	}
	if got := reasmReqds(t, tp.Server); got != serverReasm {
		t.Errorf("the server received %d IP fragments", got-serverReasm)
	}
}

// TestTransportPMTUMidSession narrows the server's link after the
// handshake: the client's next full-size datagram is lost at the router,
// whose ICMP message lowers the client's MaxPayload within that round trip,
// and the next full-size datagram arrives.
func TestTransportPMTUMidSession(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1500}})
			// Without probes, the path MTU lives on ICMP alone, as with
			// a peer that does not do heartbeats; with them, the search
			// confirms the size the ICMP message reports before using it
			// (RFC 8899 §4.6.2; TestTransportProbeMidSession).
			d, lc := transport.Dialer{DisableProbing: true}, transport.ListenConfig{DisableProbing: true}
			p := connectWith(t, tp, network, chain, d, lc)
			if mtu := p.client.PathMTU(); mtu != 1500 {
				t.Fatalf("path MTU %d before the link narrows; want 1500", mtu)
			}
			sendFull(t, p.client, p.server)
			before := p.client.MaxPayload()
			tp.SetMTU(t, 1, 1280)
			changed := p.client.PathMTUChanged()
			// The client reads, as an application would; its Read drains
			// the error queue when the router's ICMP message arrives.
			readDone := make(chan error, 1)
			go func() {
				_, err := p.client.Read(make([]byte, 1<<16))
				readDone <- err
			}()
			if _, err := p.client.Write(make([]byte, before)); err != nil {
				t.Fatalf("Write(%d bytes): %v", before, err)
			}
			select {
			case <-changed:
			case <-time.After(pmtuWait):
				t.Fatalf("the path MTU did not change within %v", pmtuWait)
			}
			if mtu := p.client.PathMTU(); mtu != 1280 {
				t.Errorf("path MTU %d after the ICMP message; want 1280", mtu)
			}
			if s := p.client.PathStats(); s.ICMPAccepted != 1 {
				t.Errorf("%+v; want 1 ICMP message accepted", s)
			}
			after := p.client.MaxPayload()
			t.Logf("MaxPayload %d -> %d", before, after)
			if after != before-220 {
				t.Errorf("MaxPayload %d after the link narrowed from 1500 to 1280; want %d", after, before-220)
			}
			// The server answers the datagram that fits: the reader above
			// gets it.
			msg := make([]byte, after)
			if _, err := p.client.Write(msg); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1<<16)
			if err := p.server.SetReadDeadline(time.Now().Add(pmtuWait)); err != nil {
				t.Fatal(err)
			}
			if n, err := p.server.Read(buf); err != nil || n != after {
				t.Fatalf("server Read = %d, %v; want %d bytes", n, err, after)
			}
			if _, err := p.server.Write([]byte("pong")); err != nil {
				t.Fatal(err)
			}
			if err := <-readDone; err != nil {
				t.Fatalf("client Read: %v", err)
			}
		})
	}
}
