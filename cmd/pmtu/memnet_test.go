package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/pmtu"
)

// The addresses of the memnet tests: the probing client, the host it
// probes and a router on the way (documentation prefixes, RFC 5737 and
// RFC 3849).
var (
	netClient4 = netip.MustParseAddr("192.0.2.1")
	netServer4 = netip.MustParseAddr("198.51.100.2")
	netRouter4 = netip.MustParseAddr("203.0.113.1")
	netClient6 = netip.MustParseAddr("2001:db8::1")
	netServer6 = netip.MustParseAddr("2001:db8:1::2")
	netRouter6 = netip.MustParseAddr("2001:db8:2::1")
)

// newTestNet returns a memnet network, made inside the synctest bubble
// and closed when the test ends, with a client host configured as client
// is and a server host.
func newTestNet(t *testing.T, client memnet.HostConfig) (n *memnet.Network, c, s *memnet.Host) {
	t.Helper()
	n = memnet.New()
	t.Cleanup(func() { n.Close() })
	client.Addrs = []netip.Addr{netClient4, netClient6}
	c, err := n.AddHost(client)
	if err != nil {
		t.Fatal(err)
	}
	s, err = n.AddHost(memnet.HostConfig{Addrs: []netip.Addr{netServer4, netServer6}})
	if err != nil {
		t.Fatal(err)
	}
	return n, c, s
}

// memnetCase is a search over a memnet path.
type memnetCase struct {
	name      string
	client    memnet.HostConfig
	source    string
	v6        bool
	bottle    int  // the path's bottleneck MTU; 0 for none
	blackHole bool // the bottleneck sends no ICMP
	echo      bool // probe an echo service; else a closed port
	want      int
	wantICMP  bool
}

// TestLinkOverMemnet runs searches over links on memnet hosts: the prober,
// the link, package sock's handling of pending errors, error queues, raw
// listeners and local refusals, and the validation of ICMP errors, with
// the network's quoting and errors in place of the kernel's.
func TestLinkOverMemnet(t *testing.T) {
	queue, noQueue := memnet.HostConfig{}, memnet.HostConfig{NoErrorQueue: true}
	rawNoQueue := memnet.HostConfig{NoErrorQueue: true, RawICMP: true}
	tests := []memnetCase{
		{name: "errqueue/closed/1400", client: queue, source: sourceAuto, bottle: 1400, want: 1400, wantICMP: true},
		{name: "errqueue/closed/ipv6/1350", client: queue, source: sourceAuto, v6: true, bottle: 1350, want: 1350, wantICMP: true},
		{name: "errqueue/echo/1420", client: queue, source: sourceErrQueue, bottle: 1420, echo: true, want: 1420, wantICMP: true},
		{name: "raw-beside-queue/closed/1400", client: memnet.HostConfig{RawICMP: true}, source: sourceRaw, bottle: 1400, want: 1400, wantICMP: true},
		{name: "raw/closed/1400", client: rawNoQueue, source: sourceAuto, bottle: 1400, want: 1400, wantICMP: true},
		// Without an error queue the router's ICMP leaves "message too
		// long" pending on the socket, which must not pass for a refusal
		// of the next probe.
		{name: "raw/echo/1400", client: rawNoQueue, source: sourceRaw, bottle: 1400, echo: true, want: 1400, wantICMP: true},
		{name: "none/echo/1400", client: noQueue, source: sourceAuto, bottle: 1400, echo: true, want: 1400},
		{name: "ignored/echo/1400", client: queue, source: sourceNone, bottle: 1400, echo: true, want: 1400},
		{name: "blackhole/closed/1357", client: queue, source: sourceAuto, bottle: 1357, blackHole: true, want: 1357},
		{name: "local-limit/closed/1400", client: memnet.HostConfig{MTU: 1400}, source: sourceAuto, want: 1400},
		{name: "local-limit/no-queue/echo/1400", client: memnet.HostConfig{MTU: 1400, NoErrorQueue: true}, source: sourceAuto, echo: true, want: 1400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testLinkOverMemnet(t, tt) })
		})
	}
}

// testLinkOverMemnet runs one search, with -max 1500, and checks it.
func testLinkOverMemnet(t *testing.T, tt memnetCase) {
	n, client, host := newTestNet(t, tt.client)
	local, server, router := netClient4, netServer4, netRouter4
	if tt.v6 {
		local, server, router = netClient6, netServer6, netRouter6
	}
	n.SetPath(local, server, memnet.PathConfig{MTU: tt.bottle, BlackHole: tt.blackHole, Reporter: router, Delay: time.Millisecond})
	n.SetPath(server, local, memnet.PathConfig{Delay: time.Millisecond})
	remote := netip.AddrPortFrom(server, defaultClosedPort)
	if tt.echo {
		remote = startMemnetEcho(t, host, netip.AddrPortFrom(server, defaultEchoPort))
	}
	c, err := client.Dial(netip.AddrPort{}, remote)
	if err != nil {
		t.Fatal(err)
	}
	l, err := newLink(c, remote, tt.source)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	cfg := pmtu.Config{Family: pmtu.FamilyOf(server), Max: 1500, MaxProbes: pmtu.DefaultMaxProbes}
	p := newProber(l, cfg, time.Now())
	p.pace = !tt.echo
	err = p.run(context.Background(), p.start.Add(time.Minute))
	r := p.result(time.Now(), err)
	t.Logf("%s: path MTU %d in %d probes, %v: %v", l.source, r.PathMTU, r.ProbeCount, r.duration, resultsOf(p.probes))
	if err != nil || r.PathMTU != tt.want {
		t.Fatalf("path MTU %d, %v; want %d", r.PathMTU, err, tt.want)
	}
	if r.ICMPSeen != tt.wantICMP || l.rejected() != 0 {
		t.Errorf("ICMP seen %v, %d rejected; want %v and none", r.ICMPSeen, l.rejected(), tt.wantICMP)
	}
	st := n.PathStats(local, server)
	if int(st.Sent) != r.ProbeCount {
		t.Errorf("%d probes counted, %d datagrams sent", r.ProbeCount, st.Sent)
	}
}

// startMemnetEcho runs an echo service (RFC 862) at addr on h until the
// test ends.
func startMemnetEcho(t *testing.T, h *memnet.Host, addr netip.AddrPort) netip.AddrPort {
	t.Helper()
	c, err := h.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 1<<16)
		for {
			k, from, err := c.ReadFrom(b)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				_ = c.WriteTo(b[:k], from) // a reply that cannot go is a lost probe
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return addr
}
