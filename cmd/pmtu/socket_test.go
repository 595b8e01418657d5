package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/platform"
)

var (
	testLocal  = netip.MustParseAddrPort("198.18.0.1:40000")
	testRemote = netip.MustParseAddrPort("198.18.1.2:33434")
	testRouter = netip.MustParseAddr("198.18.0.2")
)

// newTestLink returns a link without a socket that has sent probe 1 with a
// UDP payload of 1172 bytes (1200 of IP) and probe 2 with 1472 (1500).
func newTestLink() *udpLink {
	l := &udpLink{
		local:     testLocal,
		remote:    testRemote,
		token:     testToken,
		validator: icmp.Validator{MinQuote: probeHeaderLen},
		out:       make(chan answer, 8),
		done:      make(chan struct{}),
	}
	l.sent.Add(1, 1172)
	l.sent.Add(2, 1472)
	return l
}

// quote returns the first n bytes of a probe of this run.
func quote(seq uint32, n int) []byte {
	return (&probe{token: testToken, seq: seq, padding: 2000}).marshal()[:n]
}

func TestLinkHandleICMP(t *testing.T) {
	base := icmp.Event{Local: testLocal, Remote: testRemote, Reporter: testRouter, Quote: quote(2, 520)}
	event := func(kind icmp.Kind, mtu int, modify func(*icmp.Event)) icmp.Event {
		ev := base
		ev.Kind, ev.MTU = kind, mtu
		if modify != nil {
			modify(&ev)
		}
		return ev
	}
	fromHost := func(ev *icmp.Event) { ev.Reporter = testRemote.Addr() }
	tests := []struct {
		name string
		ev   icmp.Event
		want *answer // nil: rejected
	}{
		{"frag-needed", event(icmp.KindFragNeeded, 1400, nil), &answer{kind: answerTooBig, seq: 2}},
		{"frag-needed/short-quote", event(icmp.KindFragNeeded, 1400, func(ev *icmp.Event) { ev.Quote = nil }), &answer{kind: answerTooBig}},
		{"port-unreachable/host", event(icmp.KindPortUnreachable, 0, fromHost), &answer{kind: answerReached, seq: 2}},
		{"port-unreachable/router", event(icmp.KindPortUnreachable, 0, nil), &answer{kind: answerUnreachable, seq: 2}},
		{"host-unreachable", event(icmp.KindHostUnreachable, 0, nil), &answer{kind: answerUnreachable, seq: 2}},
		{"forged/token", event(icmp.KindFragNeeded, 1400, func(ev *icmp.Event) {
			ev.Quote = (&probe{seq: 2, padding: 100}).marshal()
		}), nil},
		{"forged/seq-not-sent", event(icmp.KindFragNeeded, 1400, func(ev *icmp.Event) { ev.Quote = quote(9, 100) }), nil},
		{"forged/mtu-not-below-size", event(icmp.KindFragNeeded, 1500, nil), nil},
		{"forged/other-socket", event(icmp.KindFragNeeded, 1400, func(ev *icmp.Event) {
			ev.Local = netip.AddrPortFrom(testLocal.Addr(), 40001)
		}), nil},
		{"forged/other-host", event(icmp.KindPortUnreachable, 0, func(ev *icmp.Event) {
			ev.Remote = netip.MustParseAddrPort("198.18.1.3:33434")
		}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLink()
			l.handleICMP(tt.ev, time.Now())
			select {
			case a := <-l.out:
				if tt.want == nil {
					t.Fatalf("answer %v delivered; want the event rejected", a)
				}
				if a.kind != tt.want.kind || a.seq != tt.want.seq || a.echo {
					t.Errorf("answer kind %d about probe %d; want kind %d about %d", a.kind, a.seq, tt.want.kind, tt.want.seq)
				}
			default:
				if tt.want != nil {
					t.Fatalf("nothing delivered (%d rejected); want an answer", l.rejected())
				}
				if l.rejected() != 1 {
					t.Errorf("%d events rejected; want 1", l.rejected())
				}
			}
		})
	}
}

func TestLinkHandleDatagram(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"echo", (&probe{token: testToken, seq: 1, padding: 1160}).marshal(), true},
		{"echo/truncated", quote(1, 100), true},
		{"other-token", (&probe{seq: 1}).marshal(), false},
		{"not-sent", quote(3, 100), false},
		{"garbage", []byte("hello"), false},
	}
	for _, tt := range tests {
		l := newTestLink()
		l.handleDatagram(tt.b, time.Now())
		select {
		case a := <-l.out:
			if !tt.want || a.kind != answerReached || !a.echo || a.seq != 1 {
				t.Errorf("%s: answer %+v", tt.name, a)
			}
		default:
			if tt.want {
				t.Errorf("%s: no answer", tt.name)
			}
		}
	}
}

// TestLinkLoopback sends probes over the loopback interface, to an echo
// service and, where the socket's error queue is the ICMP source, to a
// closed port, and waits for the answers.
func TestLinkLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			echo := startTestEcho(t, addr)
			l, err := openLink(context.Background(), echo, sourceAuto)
			if err != nil {
				t.Fatal(err)
			}
			defer l.close()
			checkReached(t, l, 1, false)

			closed := closedPort(t, addr)
			c, err := openLink(context.Background(), closed, sourceAuto)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			if c.source == sourceNone {
				testenv.SkipOrFail(t, "no ICMP source here without privilege")
			}
			checkReached(t, c, 1, true)
		})
	}
}

// checkReached sends probe seq over l and waits for the host's answer.
func checkReached(t *testing.T, l *udpLink, seq uint32, viaICMP bool) {
	t.Helper()
	if err := l.send(seq, 1000); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-l.answers():
		if a.kind != answerReached || a.seq != seq || a.echo == viaICMP {
			t.Fatalf("answer %+v (%v); want probe %d reached", a, a, seq)
		}
	case <-time.After(10 * time.Second): // reached only when broken
		t.Fatal("no answer")
	}
}

// startTestEcho runs an echo service on addr until the test ends.
func startTestEcho(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		testenv.SkipOrFail(t, "no %s: %v", addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- serveEcho(c, nil) }()
	t.Cleanup(func() {
		c.Close()
		if err := <-done; err != nil {
			t.Errorf("serveEcho: %v", err)
		}
	})
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// closedPort returns an address on addr where nothing listens.
func closedPort(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	a := c.LocalAddr().(*net.UDPAddr).AddrPort()
	c.Close()
	return a
}

// TestLinkSource opens links over memnet hosts with and without an error
// queue and the privilege of raw ICMP sockets, and over a socket without
// the Don't Fragment bit, and checks the source of ICMP errors that each
// value of -icmp gets.
func TestLinkSource(t *testing.T) {
	queue, noQueue := memnet.HostConfig{}, memnet.HostConfig{NoErrorQueue: true}
	raw, rawNoQueue := memnet.HostConfig{RawICMP: true}, memnet.HostConfig{NoErrorQueue: true, RawICMP: true}
	tests := []struct {
		source string
		host   memnet.HostConfig
		noDF   bool
		want   string // the source chosen; "" for an error
	}{
		{sourceAuto, queue, false, sourceErrQueue},
		{sourceAuto, raw, false, sourceErrQueue},
		{sourceAuto, rawNoQueue, false, sourceRaw},
		{sourceAuto, noQueue, false, sourceNone},
		{sourceErrQueue, queue, false, sourceErrQueue},
		{sourceErrQueue, rawNoQueue, false, ""},
		{sourceRaw, raw, false, sourceRaw},
		{sourceRaw, rawNoQueue, false, sourceRaw},
		{sourceRaw, queue, false, ""}, // no privilege
		{sourceNone, queue, false, sourceNone},
		{sourceNone, noQueue, false, sourceNone},
		{sourceAuto, queue, true, ""}, // no Don't Fragment bit
		{sourceNone, queue, true, ""},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			_, client, _ := newTestNet(t, tt.host)
			remote := netip.AddrPortFrom(netServer4, defaultClosedPort)
			c, err := client.Dial(netip.AddrPort{}, remote)
			if err != nil {
				t.Fatal(err)
			}
			var conn sock.Conn = c
			if tt.noDF {
				conn = noDFConn{c}
			}
			l, err := newLink(conn, remote, tt.source)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("-icmp %s on %+v (no DF %v): source %s; want an error", tt.source, tt.host, tt.noDF, l.source)
			case tt.want != "" && (err != nil || l.source != tt.want):
				t.Errorf("-icmp %s on %+v: source %v, %v; want %s", tt.source, tt.host, l, err, tt.want)
			case tt.noDF && !errors.Is(err, errNoDF):
				t.Errorf("-icmp %s without DF: %v; want errNoDF", tt.source, err)
			}
			if err == nil {
				l.close()
			} else {
				c.Close()
			}
		})
	}
	if !strings.Contains(errNoDF.Error(), "Don't Fragment") {
		t.Errorf("errNoDF = %q", errNoDF)
	}
}

// noDFConn is a socket that could not set the Don't Fragment bit.
type noDFConn struct{ *memnet.Conn }

func (noDFConn) Capabilities() platform.Capabilities { return platform.Capabilities{} }
