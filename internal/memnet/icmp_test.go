package memnet_test

import (
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/platform"
)

func TestTooBig(t *testing.T) {
	for _, tc := range []struct {
		name      string
		from, to  netip.Addr
		mtu       int
		origin    platform.Origin
		typ, code uint8
		quote     int
	}{
		{"fragmentation needed", addrA4, addrB4, 1000, platform.OriginICMP, 3, 4, 520},
		{"packet too big", addrA6, addrB6, 1280, platform.OriginICMP6, 2, 0, 1184},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
				p.n.SetPath(tc.from, tc.to, memnet.PathConfig{MTU: tc.mtu, Reporter: router})
				srv := listen(t, p.b, tc.to)
				cli := listen(t, p.a, tc.from)
				big := payload(1400)
				mustSend(t, cli, big, srv.LocalAddr())

				// The next send fails with the pending error and sends
				// nothing.
				err := cli.WriteTo([]byte("small"), srv.LocalAddr())
				checkErrno(t, err, "write", memnet.EMsgSize)
				if !platform.IsMessageTooLong(err) || !platform.IsTransientReadError(err) {
					t.Fatalf("platform does not classify %v", err)
				}
				if s := p.n.PathStats(tc.from, tc.to); s.Sent != 1 || s.TooBig != 1 || s.ICMPSent != 1 || s.Delivered != 0 {
					t.Fatalf("path stats %+v", s)
				}
				qs := drain(t, cli)
				if len(qs) != 1 {
					t.Fatalf("error queue: %+v", qs)
				}
				q := qs[0]
				if q.Errno != memnet.EMsgSize || q.Origin != tc.origin || q.Type != tc.typ || q.Code != tc.code ||
					q.Info != uint32(tc.mtu) || q.Offender != router.Unmap() || q.Dest != srv.LocalAddr() ||
					!equalQuote(q.Payload, big, tc.quote) {
					t.Fatalf("entry %+v (quote %d bytes)", q, len(q.Payload))
				}
				// The drain cleared the pending error: sends go through.
				mustSend(t, cli, []byte("small"), srv.LocalAddr())
				if b, _ := read(t, srv); string(b) != "small" {
					t.Fatalf("got %q", b)
				}
			})
		})
	}
}

func TestBlackHole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{MTU: 1000, BlackHole: true})
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		mustSend(t, cli, payload(1000-28+1), srv.LocalAddr())
		mustSend(t, cli, payload(1000-28), srv.LocalAddr())
		if b, _ := read(t, srv); len(b) != 1000-28 {
			t.Fatalf("got %d bytes; want the datagram that fits", len(b))
		}
		if qs := drain(t, cli); len(qs) != 0 {
			t.Fatalf("error queue: %+v", qs)
		}
		if s := p.n.PathStats(addrA4, addrB4); s.TooBig != 1 || s.ICMPSent != 0 {
			t.Fatalf("path stats %+v", s)
		}
	})
}

func TestQuoteLen(t *testing.T) {
	for _, tc := range []struct {
		quoteLen, want int
	}{{memnet.NoQuote, 0}, {8, 8}, {13, 13}, {5000, 1400}} {
		synctest.Test(t, func(t *testing.T) {
			p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
			p.n.SetPath(addrA6, addrB6, memnet.PathConfig{MTU: 1280, QuoteLen: tc.quoteLen})
			cli := listen(t, p.a, addrA6)
			big := payload(1400)
			mustSend(t, cli, big, netip.AddrPortFrom(addrB6, 9))
			qs := drain(t, cli)
			if len(qs) != 1 || !equalQuote(qs[0].Payload, big, tc.want) || qs[0].Offender != addrB6 {
				t.Fatalf("QuoteLen %d: entries %+v; want a quote of %d bytes from %v", tc.quoteLen, qs, tc.want, addrB6)
			}
		})
	}
}

func TestPortUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name      string
		from, to  netip.Addr
		origin    platform.Origin
		typ, code uint8
	}{
		{"ipv4", addrA4, addrB4, platform.OriginICMP, 3, 3},
		{"ipv6", addrA6, addrB6, platform.OriginICMP6, 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
				cli := listen(t, p.a, netip.IPv6Unspecified())
				live := listen(t, p.b, tc.to)
				closed := netip.AddrPortFrom(tc.to, 9)
				mustSend(t, cli, []byte("anyone?"), closed)
				// The pending error is about the closed port, but the
				// send to the live socket is the one that fails.
				checkErrno(t, cli.WriteTo([]byte("x"), live.LocalAddr()), "write", memnet.EConnRefused)
				qs := drain(t, cli)
				if len(qs) != 1 {
					t.Fatalf("error queue: %+v", qs)
				}
				q := qs[0]
				if q.Errno != memnet.EConnRefused || q.Origin != tc.origin || q.Type != tc.typ || q.Code != tc.code ||
					q.Dest != closed || q.Offender != tc.to || string(q.Payload) != "anyone?" {
					t.Fatalf("entry %+v", q)
				}
				if s := p.n.PathStats(tc.from, tc.to); s.NoSocket != 1 || s.Sent != 1 {
					t.Fatalf("path stats %+v", s)
				}
				if s := live.Stats(); s.Received != 0 {
					t.Fatalf("the failed send reached the live socket: %+v", s)
				}
			})
		})
	}
}

func TestPendingError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		closed := netip.AddrPortFrom(addrB4, 9)

		// A pending error is returned once, by a read as by a send.
		mustSend(t, cli, []byte("x"), closed)
		mustSend(t, srv, []byte("for cli"), cli.LocalAddr())
		_, _, err := cli.ReadFrom(make([]byte, 100))
		checkErrno(t, err, "read", memnet.EConnRefused)
		if b, _ := read(t, cli); string(b) != "for cli" {
			t.Fatalf("after the pending error: got %q", b)
		}
		// It stays on the queue until drained.
		if qs := drain(t, cli); len(qs) != 1 {
			t.Fatalf("error queue: %+v", qs)
		}

		// Two errors leave one pending error and two entries; a send
		// after the drain goes through.
		mustSend(t, cli, []byte("x"), closed)
		checkErrno(t, cli.WriteTo([]byte("x"), closed), "write", memnet.EConnRefused)
		mustSend(t, cli, []byte("x"), closed)
		if qs := drain(t, cli); len(qs) != 2 {
			t.Fatalf("error queue: %+v", qs)
		}
		mustSend(t, cli, []byte("after"), srv.LocalAddr())
		if b, _ := read(t, srv); string(b) != "after" {
			t.Fatalf("got %q", b)
		}
		if s := cli.Stats(); s.PendingSet != 3 || s.PendingReturned != 2 || s.ErrQueued != 3 || s.ErrDrained != 3 {
			t.Fatalf("stats %+v", s)
		}
	})
}

func TestInjectError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{NoErrorQueue: true})
		cli := listen(t, p.a, addrA4)
		srv := listen(t, p.b, addrB4)
		other := netip.AddrPortFrom(netip.AddrFrom16(netip.MustParseAddr("198.51.100.7").As16()), 4433)
		cli.InjectError(platform.QueuedError{Errno: memnet.EConnRefused, Origin: platform.OriginICMP, Type: 3, Code: 3, Dest: other, Payload: []byte("q")})
		checkErrno(t, cli.WriteTo([]byte("x"), srv.LocalAddr()), "write", memnet.EConnRefused)
		qs := drain(t, cli)
		if len(qs) != 1 || qs[0].Dest != netip.MustParseAddrPort("198.51.100.7:4433") || string(qs[0].Payload) != "q" {
			t.Fatalf("error queue: %+v", qs)
		}
		// A local entry sets no pending error.
		cli.InjectError(platform.QueuedError{Errno: memnet.EMsgSize, Origin: platform.OriginLocal, Info: 1000})
		mustSend(t, cli, []byte("x"), srv.LocalAddr())
		if qs := drain(t, cli); len(qs) != 1 || qs[0].Origin != platform.OriginLocal {
			t.Fatalf("error queue: %+v", qs)
		}
		// Without an error queue, only the pending error.
		srv.InjectError(platform.QueuedError{Errno: memnet.EConnRefused, Origin: platform.OriginICMP})
		checkErrno(t, srv.WriteTo([]byte("x"), cli.LocalAddr()), "write", memnet.EConnRefused)
		if qs := drain(t, srv); len(qs) != 0 {
			t.Fatalf("error queue of a host without one: %+v", qs)
		}
	})
}

func TestLocalRefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{MTU: 1400}, memnet.HostConfig{})
		srv := listen(t, p.b, netip.IPv6Unspecified())
		cli := listen(t, p.a, netip.IPv6Unspecified())
		to4 := netip.AddrPortFrom(addrB4, srv.LocalAddr().Port())
		to6 := netip.AddrPortFrom(addrB6, srv.LocalAddr().Port())
		mustSend(t, cli, payload(1400-28), to4)
		mustSend(t, cli, payload(1400-48), to6)
		checkErrno(t, cli.WriteTo(payload(1400-48+1), to6), "write", memnet.EMsgSize)
		qs := drain(t, cli)
		if len(qs) != 1 || qs[0].Origin != platform.OriginLocal || qs[0].Errno != memnet.EMsgSize || qs[0].Info != 1400 || qs[0].Dest != to6 {
			t.Fatalf("error queue: %+v", qs)
		}
		// A refusal sets no pending error: the next send goes through.
		// For IPv4 it names the destination's address only, as Linux
		// does on an unconnected socket.
		checkErrno(t, cli.WriteTo(payload(1400-28+1), to4), "write", memnet.EMsgSize)
		mustSend(t, cli, []byte("x"), to4)
		if qs := drain(t, cli); len(qs) != 1 || qs[0].Dest != netip.AddrPortFrom(addrB4, 0) {
			t.Fatalf("error queue: %+v", qs)
		}
		// A connected socket's names its peer.
		conn, err := p.a.Dial(netip.AddrPort{}, to4)
		if err != nil {
			t.Fatal(err)
		}
		checkErrno(t, conn.WriteTo(payload(1400-28+1), to4), "write", memnet.EMsgSize)
		if qs := drain(t, conn); len(qs) != 1 || qs[0].Dest != to4 {
			t.Fatalf("error queue of a connected socket: %+v", qs)
		}
		// A route's MTU overrides the interface's.
		p.a.SetRouteMTU(netip.MustParsePrefix("192.0.2.0/24"), 1200)
		if mtu, _ := cli.RouteMTU(addrB4); mtu != 1200 {
			t.Fatalf("RouteMTU with a route = %d", mtu)
		}
		if mtu, _ := cli.RouteMTU(addrB6); mtu != 1400 {
			t.Fatalf("RouteMTU = %d", mtu)
		}
		checkErrno(t, cli.WriteTo(payload(1200-28+1), to4), "write", memnet.EMsgSize)
		if s := cli.Stats(); s.LocalRefused != 3 || s.PendingSet != 0 {
			t.Fatalf("stats %+v", s)
		}
		if s := p.n.PathStats(addrA4, addrB4); s.Sent != 2 {
			t.Fatalf("refused datagrams entered the path: %+v", s)
		}
	})
}

func TestNoErrorQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{NoErrorQueue: true, MTU: 1400}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{MTU: 1000})
		srv := listen(t, p.b, addrB4)
		unconnected := listen(t, p.a, addrA4)
		connected, err := p.a.Dial(netip.AddrPort{}, srv.LocalAddr())
		if err != nil {
			t.Fatal(err)
		}
		// An unconnected socket hears nothing of ICMP errors.
		mustSend(t, unconnected, payload(1200), srv.LocalAddr())
		mustSend(t, unconnected, []byte("x"), netip.AddrPortFrom(addrB4, 9))
		mustSend(t, unconnected, []byte("x"), srv.LocalAddr())
		// A connected one gets the pending error, without an entry.
		mustSend(t, connected, payload(1200), netip.AddrPort{})
		checkErrno(t, connected.WriteTo([]byte("x"), netip.AddrPort{}), "write", memnet.EMsgSize)
		if qs := drain(t, connected); len(qs) != 0 {
			t.Fatalf("error queue: %+v", qs)
		}
		// A local refusal queues nothing either.
		checkErrno(t, connected.WriteTo(payload(1400), netip.AddrPort{}), "write", memnet.EMsgSize)
		if qs := drain(t, connected); len(qs) != 0 {
			t.Fatalf("error queue: %+v", qs)
		}
	})
}
