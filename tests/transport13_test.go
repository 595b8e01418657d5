//go:build linux

package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/pmtu"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The DTLS 1.3 namespace tests run our client and server, both held to
// DTLS 1.3, in the namespaces of a netns topology whose router joins a
// 1500-byte link to a 1280-byte one, with the large chain (about 6 KB) on
// both sides, as the DTLS 1.2 transport PMTU tests do. The handshake
// flights are fragmented to the path-MTU estimate as in DTLS 1.2; what
// DTLS 1.3 adds is the ACK (RFC 9147, Section 7), which tells the sender
// which datagrams got through before its timer runs out, and the padded
// KeyUpdate that probes the path after the handshake.

// TestTransportPMTUHandshake13 runs DTLS 1.3 handshakes across the router,
// which sends ICMP, with the side whose large flight crosses the bottleneck
// on either side of it, over IPv4 and IPv6. The learner must take the path
// MTU from the router's ICMP message and send its flight again at once: no
// retransmission timer runs out on either side, no flight is lost, and the
// handshake completes within the initial retransmission timer (RFC 9147,
// Section 5.8.2: 1 s), so well before it could have run out twice. No IP
// fragment is made anywhere: both sockets set DF, the router refuses the
// oversized datagrams whole (its FragFails counter) and makes no fragment
// (its FragCreates counter), and neither end reassembles any.
func TestTransportPMTUHandshake13(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	for _, network := range []string{"udp4", "udp6"} {
		for _, c := range pmtuCases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				testTransportPMTUHandshake13(t, network, c, chain)
			})
		}
	}
}

func testTransportPMTUHandshake13(t *testing.T, network string, c pmtuCase, chain *peer.Chain) {
	adjust := []func(client, server *dtls.Config){pinVersion(dtls.VersionDTLS13)}
	if !c.clientLearns {
		// The client's flight crosses the bottleneck only if it carries
		// the large chain, which the server asks for: not here.
		adjust = append(adjust, noClientAuth)
	}
	tp := netns.New(t, netns.Options{MTUs: c.mtus})
	before := readFragCounters(t, tp)
	p := connectWith(t, tp, network, chain, transport.Dialer{}, transport.ListenConfig{}, adjust...)
	checkVersion(t, p, dtls.VersionDTLS13)
	learner, other, who := p.server, p.client, "server"
	learnerTr, otherTr := p.serverTr, p.clientTr
	if c.clientLearns {
		learner, other, who = p.client, p.server, "client"
		learnerTr, otherTr = p.clientTr, p.serverTr
	}
	ls, os := learner.PathStats(), other.PathStats()
	t.Logf("DTLS 1.3 handshake in %v; %s: path MTU %d, %+v; other side: path MTU %d, %+v",
		p.elapsed, who, learner.PathMTU(), ls, other.PathMTU(), os)
	defer func() {
		if t.Failed() || testing.Verbose() {
			learnerTr.log(t, who)
		}
	}()
	for _, e := range []*transport.Conn{p.client, p.server} {
		if caps := e.Capabilities(); !caps.DF {
			t.Errorf("%v: DF not set (%+v)", e.LocalAddr(), caps)
		}
	}
	if mtu := learner.PathMTU(); mtu > 1280 {
		t.Errorf("the %s's path MTU is %d; want at most 1280", who, mtu)
	}
	if n, m := learnerTr.count(), otherTr.count(); n != 0 || m != 0 {
		t.Errorf("timer expiries in the traces: %d (%s), %d (other side); want none", n, who, m)
	}
	if os.LostFlights != 0 {
		t.Errorf("the other side lost %d flights; want 0", os.LostFlights)
	}
	if p.elapsed >= dtls.DefaultRetransmitTimeout {
		t.Errorf("handshake took %v; want less than the initial retransmission timer, %v", p.elapsed, dtls.DefaultRetransmitTimeout)
	}
	sendFull(t, p.client, p.server)
	sendFull(t, p.server, p.client)
	refused := checkNoFragments(t, tp, before)
	t.Logf("the router refused %d datagrams whole (DF set)", refused)
	if refused == 0 {
		t.Errorf("the router refused no datagram: the %s's flight never ran into the bottleneck", who)
	}
	if t.Failed() {
		return
	}
	// The learner must take the size from the router's ICMP message, at
	// once, rather than from the peer's ACK a quarter of a timer later.
	if ls.ICMPAccepted == 0 || ls.ICMPRejected != 0 {
		t.Errorf("the %s accepted %d and rejected %d ICMP messages; want at least 1 and 0", who, ls.ICMPAccepted, ls.ICMPRejected)
	}
	if ls.LostFlights != 0 {
		t.Errorf("the %s lost %d flights; want 0", who, ls.LostFlights)
	}
	if limit := dtls.DefaultRetransmitTimeout / 4; p.elapsed >= limit {
		t.Errorf("handshake took %v; want less than the delay of the peer's ACK, %v", p.elapsed, limit)
	}
}

// blackHoleRuns is the number of handshakes of each version in each case of
// TestTransportBlackHole13; their medians are compared.
const blackHoleRuns = 3

// TestTransportBlackHole13 runs handshakes through the router turned into a
// black hole (it sends no ICMP), DTLS 1.2 and DTLS 1.3 in the same run, over
// IPv4 and IPv6, with the server's large flight crossing the bottleneck
// (MTUs 1280, 1500). DTLS 1.2 learns of the loss only when a
// retransmission timer runs out, after 1 s: the client's, whose
// retransmitted ClientHello tells the server, or the server's own. In DTLS 1.3 the ServerHello
// goes alone in a small datagram that gets through; the client
// acknowledges it after a quarter of its timer, and an ACK that names only
// small datagrams makes the server back off at once and send the rest
// again, smaller (RFC 9147, Section 7.1). The median DTLS 1.3 handshake
// must be faster than the median DTLS 1.2 one, and within the initial
// timer. No IP fragment is made anywhere.
//
// The test does not run in parallel with the rest of the package: it times
// handshakes. The twin of TestBlackHole13 in transport, in virtual time.
func TestTransportBlackHole13(t *testing.T) {
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	server := pmtuCases[1]
	if server.clientLearns {
		t.Fatal("pmtuCases[1] is not the server-learns case")
	}
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			var took [2][]time.Duration
			for i, v := range []uint16{dtls.VersionDTLS12, dtls.VersionDTLS13} {
				for run := range blackHoleRuns {
					t.Run(fmt.Sprintf("%s/%d", versionName(v), run), func(t *testing.T) {
						took[i] = append(took[i], blackHoleHandshake(t, network, server, v, chain))
					})
				}
			}
			if t.Failed() {
				return
			}
			m12, m13 := median(took[0]), median(took[1])
			t.Logf("%s, %d-byte chain, 1280 <- 1500 in front of the server's flight, black hole: DTLS 1.2 %v (median of %v), DTLS 1.3 %v (median of %v)",
				network, chainSize(chain), m12, took[0], m13, took[1])
			if m13 >= m12 {
				t.Errorf("DTLS 1.3 took %v, DTLS 1.2 %v (medians): the ACKs should have told the server the size sooner", m13, m12)
			}
			if m13 >= dtls.DefaultRetransmitTimeout {
				t.Errorf("DTLS 1.3 took %v (median); want less than the initial retransmission timer, %v", m13, dtls.DefaultRetransmitTimeout)
			}
		})
	}
}

// blackHoleHandshake runs one handshake of version v through a black hole
// in the topology of c and returns its time, checking that the learner had
// no ICMP, that it ends with a path MTU that fits, that full-size datagrams
// cross both ways, and that no IP fragment was made.
func blackHoleHandshake(t *testing.T, network string, c pmtuCase, v uint16, chain *peer.Chain) time.Duration {
	tp := netns.New(t, netns.Options{MTUs: c.mtus, BlackHole: true})
	before := readFragCounters(t, tp)
	// Both versions alike: the server asks for no client certificate
	// (the DTLS 1.3 server does not ask for one), and only the server's
	// flight crosses the bottleneck.
	p := connectWith(t, tp, network, chain, transport.Dialer{}, transport.ListenConfig{}, pinVersion(v), noClientAuth)
	checkVersion(t, p, v)
	learner, who, tr := p.server, "server", p.serverTr
	if c.clientLearns {
		learner, who, tr = p.client, "client", p.clientTr
	}
	s := learner.PathStats()
	t.Logf("DTLS %s handshake in %v; %s: path MTU %d, %d timer expiries, %+v; %s flights:\n%s",
		versionName(v), p.elapsed, who, learner.PathMTU(), tr.count(), s, who, flights(tr))
	if t.Failed() || testing.Verbose() {
		defer tr.log(t, who)
	}
	if s.ICMPAccepted != 0 {
		t.Errorf("the %s accepted %d ICMP messages through a black hole", who, s.ICMPAccepted)
	}
	if v == dtls.VersionDTLS13 {
		// The ACK, not the timer, sends the flight again, smaller.
		if n, m := tr.count(), tr.matching("retransmitting (ACK: no datagram over"); n != 0 || m == 0 {
			t.Errorf("the %s's trace has %d timer expiries and %d retransmissions for an ACK of small datagrams only; want 0 and at least 1", who, n, m)
		}
	}
	if mtu := learner.PathMTU(); mtu > 1280 {
		t.Errorf("the %s's path MTU is %d; want at most 1280", who, mtu)
	}
	sendFull(t, p.client, p.server)
	sendFull(t, p.server, p.client)
	checkNoFragments(t, tp, before)
	return p.elapsed
}

// TestTransportProbe13 runs DTLS 1.3 associations across the router turned
// into a black hole, in front of a 1400-byte or a 1280-byte link on the
// server's side, and checks that post-handshake probing, with KeyUpdates
// padded to the size under test that the peer acknowledges (RFC 9147,
// Sections 7 and 8; RFC 8899), finds the exact bottleneck without any
// ICMP, and that the association then carries datagrams of MaxPayload
// bytes both ways, in the epochs the probes moved it to. The client, on
// the wide link, must search from BASE_PLPMTU up to the bottleneck with
// probes lost above it; the server, whose own link is the bottleneck,
// searches only up to that link's MTU. Over IPv6 with the 1280-byte link,
// BASE_PLPMTU is the bottleneck: the search must complete there.
func TestTransportProbe13(t *testing.T) {
	t.Parallel()
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})
	for _, network := range []string{"udp4", "udp6"} {
		for _, mtu := range []int{1400, 1280} {
			t.Run(fmt.Sprintf("%s/%d", network, mtu), func(t *testing.T) {
				t.Parallel()
				testTransportProbe13(t, network, mtu, chain)
			})
		}
	}
}

func testTransportProbe13(t *testing.T, network string, mtu int, chain *peer.Chain) {
	tp := netns.New(t, netns.Options{MTUs: []int{1500, mtu}, BlackHole: true})
	before := readFragCounters(t, tp)
	p := connectWith(t, tp, network, chain, probeDialer(), probeListenConfig(), pinVersion(dtls.VersionDTLS13), noClientAuth)
	checkVersion(t, p, dtls.VersionDTLS13)
	defer func() {
		if t.Failed() {
			p.clientTr.log(t, "client")
			p.serverTr.log(t, "server")
		}
	}()
	clientMTU, serverMTU := p.client.PathMTU(), p.server.PathMTU()
	if !p.client.Probing() || !p.server.Probing() {
		t.Fatalf("Probing() = %v, %v; want both true", p.client.Probing(), p.server.Probing())
	}
	toClient, toServer := startReader(t, p.client), startReader(t, p.server)
	// The search starts at BASE_PLPMTU, 1200 bytes over IPv4 and 1280 over
	// IPv6 (RFC 8899, Section 5.1.2); a bottleneck above it must be found
	// by probes alone.
	base := 1200
	if network == "udp6" {
		base = 1280
	}
	for _, e := range []struct {
		who  string
		c    *transport.Conn
		from int
	}{{"client", p.client, clientMTU}, {"server", p.server, serverMTU}} {
		took := waitPathMTU(t, e.c, mtu)
		waitUntil(t, "the "+e.who+"'s search to complete", func() bool {
			return e.c.PathStats().Search == pmtu.SearchComplete
		})
		s := e.c.PathStats()
		t.Logf("%s: path MTU %d after the handshake, %d after %v more, %d when the search completed; MaxPayload %d; %+v",
			e.who, e.from, mtu, took, e.c.PathMTU(), e.c.MaxPayload(), s)
		if got := e.c.PathMTU(); got != mtu {
			t.Errorf("the %s's search completed at %d; want %d", e.who, got, mtu)
		}
		if mtu <= base {
			continue
		}
		if e.from >= mtu {
			t.Errorf("the %s's path MTU is %d after a handshake through a black hole; want below %d", e.who, e.from, mtu)
		}
		if s.ProbesAcked == 0 || s.ProbesSent > maxSearchProbes || s.ICMPAccepted != 0 {
			t.Errorf("%s: %+v; want probes acknowledged, at most %d sent, no ICMP", e.who, s, maxSearchProbes)
		}
	}
	for range 3 {
		sendRead(t, p.client, toServer)
		sendRead(t, p.server, toClient)
	}
	if got := p.client.PathMTU(); got != mtu {
		t.Errorf("the client's path MTU is %d after full-size datagrams; want %d", got, mtu)
	}
	if got := p.server.PathMTU(); got != mtu {
		t.Errorf("the server's path MTU is %d after full-size datagrams; want %d", got, mtu)
	}
	checkNoFragments(t, tp, before)
}
