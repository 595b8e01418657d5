package sock_test

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
)

// portUnreachable is an error-queue entry about a datagram to elsewhere.
var portUnreachable = platform.QueuedError{
	Errno: memnet.EConnRefused, Origin: platform.OriginICMP, Type: 3, Code: 3,
	Offender: elsewhere.Addr(), Dest: elsewhere,
}

func TestSendRetriesAfterPendingError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		var r recorder
		s := sock.New(listen(t, p.a, netip.IPv6Unspecified()), &r)
		defer s.Close()
		live := listen(t, p.b, addrB4)
		closed := netip.AddrPortFrom(addrB4, 9)

		// A departed client: the datagram to its closed port brings a
		// port unreachable, which the next send, to someone else, meets.
		if err := s.Send([]byte("to the departed"), closed); err != nil {
			t.Fatal(err)
		}
		if err := s.Send([]byte("to the living"), live.LocalAddr()); err != nil {
			t.Fatalf("Send after a port unreachable: %v", err)
		}
		if got := readOne(t, live); got != "to the living" {
			t.Fatalf("received %q", got)
		}
		events, _ := r.got()
		if len(events) != 1 || events[0].Kind != icmp.KindPortUnreachable || events[0].Remote != closed ||
			events[0].Local.Port() != s.Conn().LocalAddr().Port() {
			t.Fatalf("handler got %v", events)
		}
		if st := s.Stats(); st.Sent != 2 || st.PendingRetried != 1 || st.ICMP != 1 || st.NotSent != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestSendNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := &flooded{Conn: listen(t, p.a, addrA4)}
		live := listen(t, p.b, addrB4)
		// Another error about elsewhere arrives before every attempt: a
		// flood of ICMP errors about other peers.
		c.flood.Store(true)
		var r recorder
		var during []int // events the handler had when each attempt began
		c.onWrite = func() {
			events, _ := r.got()
			during = append(during, len(events))
		}
		s := sock.New(c, &r)
		defer s.Close()
		if err := s.Send([]byte("x"), live.LocalAddr()); !errors.Is(err, sock.ErrNotSent) {
			t.Fatalf("Send = %v; want ErrNotSent", err)
		}
		if st := p.n.PathStats(addrA4, addrB4); st.Sent != 0 {
			t.Fatalf("a datagram went out: %+v", st)
		}
		if st := s.Stats(); st.NotSent != 1 || st.PendingRetried != 7 || st.ICMP != 8 || st.Sent != 0 {
			t.Fatalf("stats %+v", st)
		}
		// The handler heard the errors after the last attempt, not
		// between two.
		if len(during) != 8 || slices.Max(during) != 0 {
			t.Fatalf("events handled before each attempt: %v", during)
		}
		// Once the flood stops, sends go through.
		c.flood.Store(false)
		if err := s.Send([]byte("x"), live.LocalAddr()); err != nil {
			t.Fatalf("Send after the flood: %v", err)
		}
	})
}

func TestSendTooLong(t *testing.T) {
	for _, to := range []netip.Addr{addrB4, addrB6} {
		t.Run(to.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, memnet.HostConfig{MTU: 1400}, memnet.HostConfig{})
				var r recorder
				s := sock.New(listen(t, p.a, netip.IPv6Unspecified()), &r)
				defer s.Close()
				dest := netip.AddrPortFrom(to, 4433)
				size := 1400 - 28 + 1
				if to.Is6() {
					size = 1400 - 48 + 1
				}
				err := s.Send(make([]byte, size), dest)
				var tl *sock.TooLongError
				if !errors.As(err, &tl) || tl.MTU != 1400 || !errors.Is(err, sock.ErrTooLong) || !platform.IsMessageTooLong(err) {
					t.Fatalf("Send = %v; want a *TooLongError with MTU 1400", err)
				}
				// Linux names no port for an IPv4 destination of an
				// unconnected socket.
				named := dest
				if to.Is4() {
					named = netip.AddrPortFrom(to, 0)
				}
				if _, limits := r.got(); len(limits) != 1 || limits[0] != (limit{named, 1400}) {
					t.Fatalf("LocalLimit calls %v; want one for %v", limits, named)
				}
				if st := s.Stats(); st.TooLong != 1 || st.LocalRefused != 1 || st.Sent != 0 {
					t.Fatalf("stats %+v", st)
				}
				if err := s.Send(make([]byte, size-1), dest); err != nil {
					t.Fatalf("Send of a datagram that fits: %v", err)
				}
			})
		})
	}
}

func TestSendAfterRefusalOfLarger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		live := listen(t, p.b, addrB4)
		var r recorder
		s := sock.New(c, &r)
		defer s.Close()
		// Another goroutine's datagram of more than 1000 bytes was
		// refused, and a "fragmentation needed" is pending: a send of 500
		// bytes meets EMSGSIZE, which is not its own refusal.
		c.InjectError(platform.QueuedError{Errno: memnet.EMsgSize, Origin: platform.OriginLocal, Info: 1000, Dest: elsewhere})
		c.InjectError(platform.QueuedError{Errno: memnet.EMsgSize, Origin: platform.OriginICMP, Type: 3, Code: 4, Info: 1200, Offender: elsewhere.Addr(), Dest: elsewhere})
		if err := s.Send(make([]byte, 500), live.LocalAddr()); err != nil {
			t.Fatalf("Send = %v", err)
		}
		events, limits := r.got()
		if len(limits) != 1 || limits[0] != (limit{elsewhere, 1000}) || len(events) != 1 || events[0].Kind != icmp.KindFragNeeded || events[0].MTU != 1200 {
			t.Fatalf("handler got %v and %v", events, limits)
		}
		// A refusal at a limit below the datagram's size is its own,
		// pending error or not; the handler hears it once.
		p.a.SetRouteMTU(netip.PrefixFrom(addrB4, 32), 500)
		c.InjectError(platform.QueuedError{Errno: memnet.EMsgSize, Origin: platform.OriginICMP, Type: 3, Code: 4, Info: 1200, Dest: elsewhere})
		var tl *sock.TooLongError
		if err := s.Send(make([]byte, 500), live.LocalAddr()); !errors.As(err, &tl) || tl.MTU != 500 {
			t.Fatalf("Send = %v; want a *TooLongError with MTU 500", err)
		}
		if _, limits := r.got(); len(limits) != 2 || limits[1] != (limit{netip.AddrPortFrom(addrB4, 0), 500}) {
			t.Fatalf("LocalLimit calls %v", limits)
		}
	})
}

func TestICMPReachesHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		p.n.SetPath(addrA6, addrB6, memnet.PathConfig{MTU: 1280})
		var r recorder
		s := sock.New(listen(t, p.a, netip.IPv6Unspecified()), &r)
		defer s.Close()
		live := listen(t, p.b, addrB6)
		var log sock.SentLog
		send := func(id byte, size int) {
			t.Helper()
			b := make([]byte, size)
			b[0] = id
			log.Add(uint64(id), size)
			if err := s.Send(b, live.LocalAddr()); err != nil {
				t.Fatalf("Send(%d bytes) = %v", size, err)
			}
		}
		send(1, 1300) // lost at the bottleneck, which answers
		send(2, 100)  // meets the Packet Too Big, and goes through
		if got := readOne(t, live); len(got) != 100 {
			t.Fatalf("received %d bytes", len(got))
		}
		events, limits := r.got()
		if len(events) != 1 || len(limits) != 0 {
			t.Fatalf("handler got %v and %v", events, limits)
		}
		// The handler validates the event against what was sent.
		v := icmp.Validator{MinQuote: 1}
		size, ok := log.Lookup(uint64(events[0].Quote[0]))
		match := func(q []byte) bool { _, ok := log.Lookup(uint64(q[0])); return ok }
		ev, err := v.Validate(events[0], s.Conn().LocalAddr(), live.LocalAddr(), size, match)
		if !ok || err != nil || ev.Kind != icmp.KindPacketTooBig || ev.MTU != 1280 {
			t.Fatalf("Validate(%v) = %v, %v", events[0], ev, err)
		}
	})
}

func TestReadFromDrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		var r recorder
		s := sock.New(listen(t, p.a, addrA4), &r)
		defer s.Close()
		peer := listen(t, p.b, addrB4)
		if err := s.Send([]byte("x"), netip.AddrPortFrom(addrB4, 9)); err != nil {
			t.Fatal(err)
		}
		if err := peer.WriteTo([]byte("reply"), s.Conn().LocalAddr()); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 100)
		n, from, err := s.ReadFrom(b)
		if err != nil || string(b[:n]) != "reply" || from != peer.LocalAddr() {
			t.Fatalf("ReadFrom = %q from %v, %v", b[:n], from, err)
		}
		if events, _ := r.got(); len(events) != 1 || events[0].Kind != icmp.KindPortUnreachable {
			t.Fatalf("handler got %v", events)
		}
		if st := s.Stats(); st.PendingRead != 1 || st.Received != 1 {
			t.Fatalf("stats %+v", st)
		}
		// Close unblocks a read with net.ErrClosed.
		errc := make(chan error, 1)
		go func() {
			_, _, err := s.ReadFrom(b)
			errc <- err
		}()
		synctest.Wait()
		s.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadFrom after Close = %v", err)
		}
	})
}
