package transport

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/internal/logtest"
	"github.com/pathdtls/pathdtls/pmtu"
)

// The tests in this file check that the MTU options and setters do what
// their documentation says, or fail saying why: nothing is lowered or
// raised without a word.

// unusedPacketConn is a net.PacketConn for calls that must fail before
// they use it: any use panics.
type unusedPacketConn struct{ net.PacketConn }

// wantErr fails the test unless err is an error whose message holds every
// one of parts.
func wantErr(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", what, err, p)
		}
	}
}

// TestFixedMTUAboveCapRefused checks that a fixed MTU above the cap is an
// error, naming both and the option to raise, from everything that takes
// a Dialer's or ListenConfig's, before any socket is opened.
func TestFixedMTUAboveCapRefused(t *testing.T) {
	ctx := context.Background()
	_, sc := configs(t, getPKI(t).ecdsa)
	raddr := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4433}
	for _, tc := range []struct {
		mtu, maxMTU int
		parts       []string
	}{
		{9000, 0, []string{"9000", "1500", "DefaultMaxMTU", "MaxMTU"}},
		{65535, 0, []string{"65535", "1500", "MaxMTU"}},
		{1500, 1400, []string{"1500", "1400", "MaxMTU"}},
	} {
		d := &Dialer{MTU: tc.mtu, MaxMTU: tc.maxMTU}
		_, err := d.Dial(ctx, "udp4", "192.0.2.1:4433", nil)
		wantErr(t, "Dial", err, append(tc.parts, "Dialer.")...)
		_, err = d.Client(unusedPacketConn{}, raddr, nil)
		wantErr(t, "Client", err, append(tc.parts, "Dialer.")...)
		lc := &ListenConfig{MTU: tc.mtu, MaxMTU: tc.maxMTU}
		_, err = lc.Listen(ctx, "udp4", "127.0.0.1:0", sc)
		wantErr(t, "Listen", err, append(tc.parts, "ListenConfig.")...)
		_, err = lc.NewListener(unusedPacketConn{}, sc)
		wantErr(t, "NewListener", err, append(tc.parts, "ListenConfig.")...)
	}
}

// TestFixedMTUWithinRaisedCap checks that a fixed MTU above DefaultMaxMTU
// is honoured once MaxMTU allows it and the route carries it, and refused
// with the route's MTU named when the route does not.
func TestFixedMTUWithinRaisedCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		d := &Dialer{MTU: 9000, MaxMTU: 9000}
		_, err := tn.clientConn(d, cc, false)
		wantErr(t, "a 9000-byte MTU over a 1500-byte route", err, "9000", "1500", "route")

		tn.client.SetRouteMTU(netip.PrefixFrom(tn.s4, 32), 9000)
		tn.server.SetRouteMTU(netip.PrefixFrom(tn.c4, 32), 9000)
		c, err := tn.dial(d, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := c.PathMTU(); got != 9000 {
			t.Errorf("PathMTU %d, want 9000", got)
		}
		if got := c.MaxPayload(); got <= 1500 {
			t.Errorf("MaxPayload %d at a 9000-byte MTU", got)
		}
	})
}

// TestListenerFixedMTUWithinRoute checks that a listener's association
// whose route carries less than the fixed MTU uses the route's MTU and
// logs that it did, with the peer's address.
func TestListenerFixedMTUWithinRoute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		var events *logtest.Recorder
		sc.Logger, events = logtest.Logger()
		l := tn.listen(t, &ListenConfig{MTU: 9000, MaxMTU: 9000}, sc, false)
		c, err := tn.dial(nil, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := l.AcceptContext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := s.PathMTU(); got != 1500 {
			t.Errorf("PathMTU %d, want the route's 1500", got)
		}
		ev, ok := events.Find("fixed path MTU lowered")
		if !ok || ev.Level != slog.LevelInfo || logtest.String(ev, "asked") != "9000" || logtest.String(ev, "mtu") != "1500" ||
			logtest.String(ev, "peer") != s.RemoteAddr().String() {
			t.Errorf("no event says the fixed MTU was lowered from 9000 to 1500 for %v: %v", s.RemoteAddr(), events.Records())
		}
	})
}

// TestSetFixedMTUAboveCap checks that SetFixedMTU refuses an MTU above the
// cap the association started with, changing nothing.
func TestSetFixedMTUAboveCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, c := established(t)
		before, payload := c.PathMTU(), c.MaxPayload()
		for _, mtu := range []int{9000, 1501} {
			wantErr(t, "SetFixedMTU", c.SetFixedMTU(mtu), itoa(mtu), "1500", "Dialer.MaxMTU")
			if c.PathMTU() != before || c.MaxPayload() != payload {
				t.Errorf("SetFixedMTU(%d) failed but moved the path MTU from %d to %d", mtu, before, c.PathMTU())
			}
		}
		if err := c.SetFixedMTU(1500); err != nil || c.PathMTU() != 1500 {
			t.Errorf("SetFixedMTU(1500): %v, path MTU %d", err, c.PathMTU())
		}
	})
}

// TestMaxMTUChecked checks that Dialer.MaxMTU and ListenConfig.MaxMTU are
// held to SetMaxMTU's bounds.
func TestMaxMTUChecked(t *testing.T) {
	ctx := context.Background()
	_, sc := configs(t, getPKI(t).ecdsa)
	for _, bad := range []int{-5, -1, 100, 575, 65536} {
		_, err := (&Dialer{MaxMTU: bad}).Dial(ctx, "udp4", "192.0.2.1:4433", nil)
		wantErr(t, "Dial", err, "Dialer.MaxMTU", itoa(bad), "576", "65535")
		_, err = (&ListenConfig{MaxMTU: bad}).Listen(ctx, "udp4", "127.0.0.1:0", sc)
		wantErr(t, "Listen", err, "ListenConfig.MaxMTU", itoa(bad))
		_, err = (&ListenConfig{MaxMTU: bad}).NewListener(unusedPacketConn{}, sc)
		wantErr(t, "NewListener", err, "ListenConfig.MaxMTU", itoa(bad))
	}
	raddr := &net.UDPAddr{IP: net.ParseIP("2001:db8::1"), Port: 4433}
	_, err := (&Dialer{MaxMTU: 1000}).Client(unusedPacketConn{}, raddr, nil)
	wantErr(t, "an IPv6 Client", err, "Dialer.MaxMTU", "1000", "1280")
}

// TestMaxMTUApplies checks that a valid MaxMTU caps the path, and that an
// IPv6 association is capped no lower than 1280.
func TestMaxMTUApplies(t *testing.T) {
	for _, tc := range []struct {
		v6      bool
		wantMax int
	}{{false, 1000}, {true, 1280}} {
		synctest.Test(t, func(t *testing.T) {
			tn := newTestNet(t)
			cc, sc := configs(t, getPKI(t).ecdsa)
			l := tn.listen(t, &ListenConfig{MaxMTU: 1000}, sc, tc.v6)
			c, err := tn.dial(&Dialer{MaxMTU: tc.wantMax}, cc, tc.v6)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := l.AcceptContext(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.PathMTU(); got > tc.wantMax {
				t.Errorf("v6 %v: the server's PathMTU %d is above %d", tc.v6, got, tc.wantMax)
			}
			if got := c.PathMTU(); got > tc.wantMax {
				t.Errorf("v6 %v: the client's PathMTU %d is above %d", tc.v6, got, tc.wantMax)
			}
		})
	}
}

// TestProbingStopsWhenFixed checks that Probing is false while the size is
// fixed, that no probe is sent meanwhile, and that probing resumes when
// the size is no longer fixed.
func TestProbingStopsWhenFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, c := established(t)
		if !c.Probing() {
			t.Fatal("not probing after the handshake")
		}
		if err := c.SetFixedMTU(1300); err != nil {
			t.Fatal(err)
		}
		if c.Probing() {
			t.Error("Probing is true with the MTU fixed")
		}
		if st := c.PathStats().Search; st != pmtu.Disabled {
			t.Errorf("PathStats.Search is %v with the MTU fixed", st)
		}
		synctest.Wait()
		sent := c.PathStats().ProbesSent
		time.Sleep(30 * time.Minute) // virtual: many probe and confirmation timers
		if got := c.PathStats().ProbesSent; got != sent {
			t.Errorf("%d probes sent with the MTU fixed", got-sent)
		}
		if err := c.SetFixedMTU(0); err != nil {
			t.Fatal(err)
		}
		if !c.Probing() {
			t.Error("Probing is false once the MTU is no longer fixed")
		}
		time.Sleep(2 * pmtu.DefaultConfirmTimeout)
		if got := c.PathStats().ProbesSent; got == sent {
			t.Error("no probe sent once the MTU is no longer fixed")
		}
	})
}
