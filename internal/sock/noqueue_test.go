package sock_test

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
)

// These tests run the Socket over hosts that behave as systems without an
// error queue.

func TestNoQueuePortUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{NoErrorQueue: true}, memnet.HostConfig{})
		closed := netip.AddrPortFrom(addrB6, 9)
		c, err := p.a.Dial(netip.AddrPort{}, closed)
		if err != nil {
			t.Fatal(err)
		}
		var r recorder
		s := sock.New(c, &r)
		defer s.Close()
		if s.ICMPSource() != sock.ICMPNone {
			t.Fatal("a raw ICMP listener without privilege")
		}
		// The pending "connection refused" of a connected socket is about
		// its peer.
		for range 2 {
			if err := s.Send([]byte("x"), netip.AddrPort{}); err != nil {
				t.Fatal(err)
			}
		}
		events, _ := r.got()
		if len(events) != 1 || events[0].Kind != icmp.KindPortUnreachable || events[0].Remote != closed || !events[0].IPv6 ||
			events[0].Type != 1 || events[0].Code != 4 {
			t.Fatalf("handler got %v", events)
		}
		// ReadFrom turns it into an event too, then reads on.
		peer, err := p.b.Listen(closed)
		if err != nil {
			t.Fatal(err)
		}
		if err := peer.WriteTo([]byte("at last"), c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 10)
		if n, _, err := s.ReadFrom(b); err != nil || string(b[:n]) != "at last" {
			t.Fatalf("ReadFrom = %q, %v", b[:n], err)
		}
		if events, _ := r.got(); len(events) != 2 || events[1].Remote != closed {
			t.Fatalf("handler got %v", events)
		}
	})
}

func TestNoQueueTooLong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{NoErrorQueue: true, MTU: 1400}, memnet.HostConfig{})
		var r recorder
		s := sock.New(listen(t, p.a, addrA4), &r)
		defer s.Close()
		dest := netip.AddrPortFrom(addrB4, 4433)
		var tl *sock.TooLongError
		if err := s.Send(make([]byte, 1400), dest); !errors.As(err, &tl) || tl.MTU != 1400 {
			t.Fatalf("Send = %v; want a *TooLongError with the route's MTU", err)
		}
		if _, limits := r.got(); len(limits) != 1 || limits[0] != (limit{dest, 1400}) {
			t.Fatalf("LocalLimit calls %v", limits)
		}
	})
}

func TestRawICMP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{NoErrorQueue: true, RawICMP: true}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{MTU: 1000, QuoteLen: memnet.NoQuote})
		var r recorder
		s := sock.New(listen(t, p.a, addrA4), &r)
		if s.ICMPSource() != sock.ICMPRaw {
			t.Fatal("no raw ICMP listener")
		}
		dest := netip.AddrPortFrom(addrB4, 4433)
		if err := s.Send(make([]byte, 1200), dest); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the listener's goroutine
		events, _ := r.got()
		if len(events) != 1 || events[0].Kind != icmp.KindFragNeeded || events[0].MTU != 1000 ||
			events[0].Remote != dest || events[0].QuotedLen != 1200 || len(events[0].Quote) != 0 {
			t.Fatalf("handler got %v", events)
		}
		if st := s.Stats(); st.RawICMP != 1 || st.ICMP != 1 {
			t.Fatalf("stats %+v", st)
		}
		// Close stops the listener: an error still on its way is not
		// delivered.
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{MTU: 1000, Delay: 10 * time.Millisecond})
		if err := s.Send(make([]byte, 1200), dest); err != nil {
			t.Fatal(err)
		}
		s.Close()
		time.Sleep(time.Second)
		if events, _ := r.got(); len(events) != 1 {
			t.Fatalf("handler got %v", events)
		}
	})
}

func TestNoRawWithErrorQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{RawICMP: true}, memnet.HostConfig{})
		s := sock.New(listen(t, p.a, addrA4), nil)
		defer s.Close()
		if s.ICMPSource() != sock.ICMPErrQueue {
			t.Fatal("a raw ICMP listener beside the error queue")
		}
		// A nil Handler takes everything in silence.
		if err := s.Send([]byte("x"), netip.AddrPortFrom(addrB4, 9)); err != nil {
			t.Fatal(err)
		}
		if err := s.Send([]byte("x"), netip.AddrPortFrom(addrB4, 9)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNoQueuePendingTooLong is a router's "fragmentation needed" on a
// system without an error queue: it leaves "message too long" pending on
// a connected socket, which the next send, smaller, meets. That send is
// not refused: it goes through at the next attempt, where a local refusal
// would fail again.
func TestNoQueuePendingTooLong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{NoErrorQueue: true}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{MTU: 1000})
		peer := listen(t, p.b, addrB4)
		c, err := p.a.Dial(netip.AddrPort{}, peer.LocalAddr())
		if err != nil {
			t.Fatal(err)
		}
		var r recorder
		s := sock.New(c, &r)
		defer s.Close()
		if err := s.Send(make([]byte, 1200), netip.AddrPort{}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := s.Send(make([]byte, 900), netip.AddrPort{}); err != nil {
			t.Fatalf("Send after a pending \"message too long\": %v", err)
		}
		if got := readOne(t, peer); len(got) != 900 {
			t.Fatalf("received %d bytes", len(got))
		}
		if _, limits := r.got(); len(limits) != 0 {
			t.Fatalf("LocalLimit calls %v", limits)
		}
		if st := s.Stats(); st.PendingRetried != 1 || st.TooLong != 0 || st.Sent != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}
