//go:build linux

package tests

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// bottleneckMTU is the MTU of the narrow link of the namespace interop
// tests.
const bottleneckMTU = 1280

// netnsPeer is a peer tool of the namespace interop tests.
type netnsPeer struct {
	interopPeer
	// sizeOption gives the tool the narrow link's MTU as its datagram
	// size option, for a tool that would otherwise send its large
	// flight in datagrams its own link cannot carry.
	sizeOption bool
}

var (
	netnsSServer    = netnsPeer{interopPeer: sServerPeer}
	netnsSClient    = netnsPeer{interopPeer: sClientPeer}
	netnsGnuTLSServ = netnsPeer{interopPeer: gnutlsServPeer, sizeOption: true}
	netnsGnuTLSCli  = netnsPeer{interopPeer: gnutlsCliPeer}
)

// largeInteropCase returns the case of the namespace interop tests: DTLS
// 1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 and a large ECDSA
// chain.
func largeInteropCase(t *testing.T) interopCase {
	chains := interopChains{ecdsa: peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: true})}
	return newInteropCase(t, peer.DTLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", chains)
}

// tracePath makes cfg's trace feed a timerTrace too, and returns it.
func tracePath(cfg *dtls.Config) *timerTrace {
	tr := new(timerTrace)
	if prev := cfg.Trace; prev != nil {
		cfg.Trace = func(msg string) { prev(msg); tr.add(msg) }
	} else {
		cfg.Trace = tr.add
	}
	return tr
}

// testNetnsOurClient runs our client in the client namespace against the
// server tool p in the server namespace, behind a bottleneck in front of
// the server, for c: our client presents c's chain and the server requires
// it, so that our flight 5 crosses the bottleneck.
func testNetnsOurClient(t *testing.T, network string, p netnsPeer, c interopCase) {
	tp := netns.New(t, netns.Options{MTUs: []int{netns.DefaultMTU, bottleneckMTU}})
	reasm := startReasm(t, tp)
	fromUs, fromPeer := "hello from pathdtls client", "hello from "+p.name
	if p.echo {
		fromPeer = fromUs
	}
	opts := c.peerOptions()
	tp.Server.Run(t, func() { opts.Addr = peer.FreeUDPAddr(t, tp.Server.West.Addr(network)) })
	opts.Netns = tp.Server.Name
	opts.Stdin = p.script(fromPeer, fromUs)
	opts.Args = p.clientAuth(c.chain)
	if p.sizeOption {
		opts.MTU = bottleneckMTU
	}
	server := p.start(t, opts)

	cfg := c.clientConfig(t)
	cfg.Certificates = append(cfg.Certificates, c.chain.Certificate)
	tr := tracePath(cfg)
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	var conn *transport.Conn
	tp.Client.Run(t, func() {
		var err error
		conn, err = transport.Dial(ctx, network, server.Addr.String(), cfg)
		if err != nil {
			t.Fatalf("handshake with %v: %v", server.Addr, err)
		}
	})
	t.Cleanup(func() { conn.Close() })
	checkLearned(t, conn, tr)
	c.checkState(t, conn, true)
	talk(t, p.interopPeer, server, conn, c, fromUs, fromPeer)
	reasm.check(t)
}

// testNetnsOurServer runs our server in the server namespace against the
// client tool p in the client namespace, behind a bottleneck in front of
// the client, for c: our certificate flight crosses the bottleneck.
func testNetnsOurServer(t *testing.T, network string, p netnsPeer, c interopCase) {
	tp := netns.New(t, netns.Options{MTUs: []int{bottleneckMTU, netns.DefaultMTU}})
	reasm := startReasm(t, tp)
	fromUs, fromPeer := "hello from pathdtls server", "hello from "+p.name
	cfg := c.serverConfig(t)
	tr := tracePath(cfg)
	var l *transport.Listener
	tp.Server.Run(t, func() {
		var err error
		l, err = transport.Listen(network, netip.AddrPortFrom(tp.Server.West.Addr(network), 0).String(), cfg)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { l.Close() })
	opts := c.peerOptions()
	opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
	opts.Netns = tp.Client.Name
	opts.Stdin = p.script(fromPeer, fromUs)
	if p.sizeOption {
		opts.MTU = bottleneckMTU
	}
	client := p.start(t, opts)
	conn := accept(t, l)
	checkLearned(t, conn, tr)
	c.checkState(t, conn, false)
	talk(t, p.interopPeer, client, conn, c, fromUs, fromPeer)
	reasm.check(t)
}

// checkLearned checks, after the handshake, that conn learned the
// bottleneck's MTU from the router's ICMP and never waited for its
// retransmission timer. The case's trace log shows the trace if t fails.
func checkLearned(t *testing.T, conn *transport.Conn, tr *timerTrace) {
	t.Helper()
	s := conn.PathStats()
	t.Logf("our side: path MTU %d, %+v", conn.PathMTU(), s)
	if mtu := conn.PathMTU(); mtu != bottleneckMTU {
		t.Errorf("our path MTU is %d; want %d", mtu, bottleneckMTU)
	}
	if s.ICMPAccepted == 0 {
		t.Errorf("our side accepted no ICMP message")
	}
	if n := tr.count(); n != 0 || s.LostFlights != 0 {
		t.Errorf("our side lost %d flights (timer expiries in its trace: %d); want 0", s.LostFlights, n)
	}
}

// reasmCounts are the IP reassembly counters of a topology's ends when a
// test started.
type reasmCounts struct {
	tp             *netns.Topology
	client, server int64
}

func startReasm(t *testing.T, tp *netns.Topology) reasmCounts {
	return reasmCounts{tp: tp, client: reasmFragments(t, tp.Client), server: reasmFragments(t, tp.Server)}
}

// check checks that neither end has received an IP fragment since
// startReasm.
func (r reasmCounts) check(t *testing.T) {
	t.Helper()
	if got := reasmFragments(t, r.tp.Client); got != r.client {
		t.Errorf("the client namespace received %d IP fragments", got-r.client)
	}
	if got := reasmFragments(t, r.tp.Server); got != r.server {
		t.Errorf("the server namespace received %d IP fragments", got-r.server)
	}
}

// reasmFragments returns the number of IPv4 and IPv6 fragments ns has
// received for reassembly. It fails t if ns does not count them, so that
// the check cannot pass by reading nothing.
func reasmFragments(t *testing.T, ns *netns.Namespace) int64 {
	t.Helper()
	s := ns.Stats(t)
	v4, ok4 := s["IpReasmReqds"]
	v6, ok6 := s["Ip6ReasmReqds"]
	if !ok4 || !ok6 {
		t.Fatalf("%s counts no IP reassembly (IpReasmReqds, Ip6ReasmReqds)", ns.Name)
	}
	return v4 + v6
}

// chainSize returns the bytes of DER in chain's certificates.
func chainSize(chain *peer.Chain) int {
	n := 0
	for _, der := range chain.Certificate.Certificate {
		n += len(der)
	}
	return n
}

// timingRun is one handshake of TestHandshakeTimeVersusOpenSSL.
type timingRun struct {
	// elapsed is the handshake's time, or openSSLTimingBound if it did
	// not complete within it.
	elapsed time.Duration
	// outcome is empty for a handshake that completed, "timeout" for one
	// that did not complete within openSSLTimingBound, notRun for one
	// that did not run, and the reason for one that was aborted.
	outcome string
	// waits counts our sides' timer-driven retransmissions and lost
	// flights; zero for OpenSSL.
	waits int
}

// notRun is the outcome of a run that did not run, as when the test is
// run with a -run pattern that leaves it out.
const notRun = "not run"

// measured reports whether r's elapsed time says something: the handshake
// completed, or took longer than the bound.
func (r timingRun) measured() bool { return r.outcome == "" || r.outcome == "timeout" }

// timingSeries are the runs of one implementation in one mode.
type timingSeries []timingRun

// median returns the median time of the measured runs, and false if none
// was measured.
func (s timingSeries) median() (time.Duration, bool) {
	var d []time.Duration
	for _, r := range s {
		if r.measured() {
			d = append(d, r.elapsed)
		}
	}
	if len(d) == 0 {
		return 0, false
	}
	slices.Sort(d)
	return d[len(d)/2], true
}

// waits returns the timer waits of all the runs.
func (s timingSeries) waits() int {
	n := 0
	for _, r := range s {
		n += r.waits
	}
	return n
}

// String returns the median and each run's time, or why no run was
// measured, and the first reason a run was aborted.
func (s timingSeries) String() string {
	var b strings.Builder
	abortedRun := "aborted after %v"
	if m, ok := s.median(); ok {
		fmt.Fprintf(&b, "%v (", roundDuration(m))
	} else {
		b.WriteString("aborted (")
		abortedRun = "after %v"
	}
	aborted := ""
	for i, r := range s {
		if i > 0 {
			b.WriteString(" ")
		}
		switch {
		case r.outcome == "":
			b.WriteString(roundDuration(r.elapsed).String())
		case r.outcome == "timeout":
			fmt.Fprintf(&b, ">%v", openSSLTimingBound)
		case r.outcome == notRun:
			b.WriteString(notRun)
		default:
			fmt.Fprintf(&b, abortedRun, roundDuration(r.elapsed))
			if aborted == "" {
				aborted = r.outcome
			}
		}
	}
	b.WriteString(")")
	if aborted != "" {
		fmt.Fprintf(&b, ": %s", aborted)
	}
	return b.String()
}

// roundDuration rounds d to three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}

// timingResults are the runs of both implementations in one mode.
type timingResults struct {
	ours, openssl timingSeries
}

// timeHandshakes fills res with timingRuns handshakes of each
// implementation, each in a new topology, through a black hole if
// blackHole is set. Through the black hole, the handshakes run in
// parallel; the caller reads res once t's subtests have returned.
func timeHandshakes(t *testing.T, chain *peer.Chain, blackHole bool, res *timingResults) {
	res.ours = make(timingSeries, timingRuns)
	res.openssl = make(timingSeries, timingRuns)
	for i := range timingRuns {
		res.ours[i].outcome, res.openssl[i].outcome = notRun, notRun
	}
	for i := range timingRuns {
		t.Run(fmt.Sprintf("pathdtls-%d", i), func(t *testing.T) {
			if blackHole {
				t.Parallel()
			}
			res.ours[i] = timeOurs(t, chain, blackHole)
		})
		t.Run(fmt.Sprintf("openssl-%d", i), func(t *testing.T) {
			if blackHole {
				t.Parallel()
			}
			res.openssl[i] = timeOpenSSL(t, chain, blackHole)
		})
	}
}

// timingTopology returns a topology in which the server's flight crosses
// the bottleneck.
func timingTopology(t *testing.T, blackHole bool) *netns.Topology {
	return netns.New(t, netns.Options{MTUs: []int{bottleneckMTU, netns.DefaultMTU}, BlackHole: blackHole})
}

// timeOurs times our client's handshake with our server.
func timeOurs(t *testing.T, chain *peer.Chain, blackHole bool) timingRun {
	p := connectPMTU(t, timingTopology(t, blackHole), "udp4", chain)
	cs, ss := p.client.PathStats(), p.server.PathStats()
	t.Logf("handshake in %v; server: path MTU %d, %+v", p.elapsed, p.server.PathMTU(), ss)
	waits := p.clientTr.count() + p.serverTr.count() + int(cs.LostFlights+ss.LostFlights)
	return timingRun{elapsed: p.elapsed, waits: waits}
}

// timeOpenSSL times s_client's handshake with s_server, with the same
// certificates on both sides as timeOurs. The time runs from the start of
// s_client to its exit, which it does once the handshake is complete.
func timeOpenSSL(t *testing.T, chain *peer.Chain, blackHole bool) timingRun {
	tp := timingTopology(t, blackHole)
	opts := peer.Options{Suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Chain: chain, Listen: true}
	tp.Server.Run(t, func() { opts.Addr = peer.FreeUDPAddr(t, tp.Server.West.IPv4) })
	sopts := opts
	sopts.Netns, sopts.Args = tp.Server.Name, sServerClientAuth(chain)
	server := peer.OpenSSLServer(t, sopts)
	copts := opts
	copts.Netns, copts.Args = tp.Client.Name, sClientCertificate(chain)
	copts.Stdin = peer.Script{{Await: peer.OpenSSLClientHandshakeDone, Close: true}}
	start := time.Now()
	client := peer.OpenSSLClient(t, copts)
	r := awaitOpenSSL(start, server, client)
	t.Logf("outcome %q after %v", r.outcome, r.elapsed)
	return r
}

var openSSLClientDone = regexp.MustCompile(peer.OpenSSLClientHandshakeDone)

// awaitOpenSSL waits for s_client to exit after its handshake, for
// s_server to exit before the handshake is complete, or for
// openSSLTimingBound to pass since start.
func awaitOpenSSL(start time.Time, server, client *peer.Peer) timingRun {
	bound := time.NewTimer(openSSLTimingBound - time.Since(start))
	defer bound.Stop()
	serverDone := server.Done()
	for {
		select {
		case <-client.Done():
			elapsed := time.Since(start)
			if openSSLClientDone.MatchString(client.Output()) {
				return timingRun{elapsed: elapsed}
			}
			return timingRun{elapsed: elapsed, outcome: "s_client: " + openSSLError(client.Output())}
		case <-serverDone:
			// After a complete handshake, s_server exits once s_client
			// has closed the connection, and s_client is exiting.
			serverDone = nil
			if !openSSLClientDone.MatchString(client.Output()) {
				return timingRun{elapsed: time.Since(start), outcome: "s_server: " + openSSLError(server.Output())}
			}
		case <-bound.C:
			return timingRun{elapsed: openSSLTimingBound, outcome: "timeout"}
		}
	}
}

var openSSLErrorLine = regexp.MustCompile(`(?m)^.*(?:ERROR|error|errno).*$`)

// openSSLError returns the lines of an openssl tool's output that report
// errors, or its last line. When the router's ICMP makes a write of
// s_server's fail with EMSGSIZE, it prints only "ERROR" (and exits with
// status 0).
func openSSLError(out string) string {
	if lines := openSSLErrorLine.FindAllString(out, 3); lines != nil {
		return strings.Join(lines, "; ")
	}
	out = strings.TrimSpace(out)
	return out[strings.LastIndexByte(out, '\n')+1:]
}
