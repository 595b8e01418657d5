package memnet_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
)

// numbered returns a datagram carrying i.
func numbered(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

// runImpaired sends 200 numbered datagrams, one a millisecond, over a path
// with cfg and returns the numbers received, in order, and the path's
// stats.
func runImpaired(t *testing.T, cfg memnet.PathConfig) ([]int, memnet.PathStats) {
	t.Helper()
	var got []int
	var stats memnet.PathStats
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, cfg)
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		done := make(chan struct{})
		go func() {
			defer close(done)
			b := make([]byte, 16)
			for {
				n, _, err := srv.ReadFrom(b)
				if err != nil {
					return
				}
				got = append(got, int(binary.BigEndian.Uint32(b[:n])))
			}
		}()
		for i := range 200 {
			mustSend(t, cli, numbered(i), srv.LocalAddr())
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		srv.Close()
		<-done
		stats = p.n.PathStats(addrA4, addrB4)
	})
	return got, stats
}

func TestImpairmentsDeterministic(t *testing.T) {
	cfg := memnet.PathConfig{Loss: 0.1, Duplicate: 0.1, Reorder: 0.1, ReorderDelay: 5 * time.Millisecond, Delay: 20 * time.Millisecond, Seed: 42}
	got1, stats1 := runImpaired(t, cfg)
	got2, stats2 := runImpaired(t, cfg)
	if !slices.Equal(got1, got2) || stats1 != stats2 {
		t.Fatalf("two runs with seed 42 differ:\n%v %+v\n%v %+v", got1, stats1, got2, stats2)
	}
	s := stats1
	if s.Lost == 0 || s.Duplicated == 0 || s.Reordered == 0 || s.Sent != 200 {
		t.Fatalf("stats %+v: want some of each impairment", s)
	}
	if want := s.Sent - s.Lost + s.Duplicated; s.Delivered != want || uint64(len(got1)) != want {
		t.Fatalf("delivered %d, received %d; want %d", s.Delivered, len(got1), want)
	}
	if slices.IsSorted(got1) {
		t.Fatal("nothing was reordered")
	}
	cfg.Seed = 43
	if got3, _ := runImpaired(t, cfg); slices.Equal(got1, got3) {
		t.Fatal("seeds 42 and 43 gave the same run")
	}
}

func TestDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{Delay: 30 * time.Millisecond, MTU: 1000})
		p.n.SetPath(addrB4, addrA4, memnet.PathConfig{Delay: 10 * time.Millisecond})
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		mustSend(t, cli, []byte("x"), srv.LocalAddr())
		if _, d := readAt(t, srv); d != 30*time.Millisecond {
			t.Fatalf("arrived after %v; want 30ms", d)
		}
		// The bottleneck's ICMP error comes back after the path's delay; a
		// port unreachable after both.
		start := time.Now()
		mustSend(t, cli, payload(1000), srv.LocalAddr())
		mustSend(t, cli, []byte("x"), netip.AddrPortFrom(addrB4, 9))
		time.Sleep(29 * time.Millisecond)
		if qs := drain(t, cli); len(qs) != 0 {
			t.Fatalf("after %v: error queue %+v", time.Since(start), qs)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait() // for the timer due now
		if qs := drain(t, cli); len(qs) != 1 || qs[0].Info != 1000 {
			t.Fatalf("after %v: error queue %+v", time.Since(start), qs)
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if qs := drain(t, cli); len(qs) != 1 || qs[0].Errno != memnet.EConnRefused {
			t.Fatalf("after %v: error queue %+v", time.Since(start), qs)
		}
	})
}

func TestDropHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		var seen []uint64
		p.n.SetPath(addrB4, addrA4, memnet.PathConfig{Drop: func(d memnet.Datagram) bool {
			seen = append(seen, d.Seq)
			if d.From.Addr() != addrB4 || d.To.Addr() != addrA4 || len(d.Payload) != 4 {
				t.Errorf("hook saw %+v", d)
			}
			return d.Seq == 5 // the server's 5th datagram
		}})
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		for i := 1; i <= 7; i++ {
			mustSend(t, srv, numbered(i), cli.LocalAddr())
		}
		var got []int
		for range 6 {
			b, _ := read(t, cli)
			got = append(got, int(binary.BigEndian.Uint32(b)))
		}
		if !slices.Equal(got, []int{1, 2, 3, 4, 6, 7}) || !slices.Equal(seen, []uint64{1, 2, 3, 4, 5, 6, 7}) {
			t.Fatalf("received %v, hook saw %v", got, seen)
		}
		if s := p.n.PathStats(addrB4, addrA4); s.Dropped != 1 || s.Delivered != 6 {
			t.Fatalf("path stats %+v", s)
		}
	})
}

func TestReceiveBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{RecvBuffer: 3000})
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		for range 5 {
			mustSend(t, cli, payload(1000), srv.LocalAddr())
		}
		if s := srv.Stats(); s.RecvDropped != 3 {
			t.Fatalf("stats %+v; want 3 of 5 dropped", s)
		}
		if s := p.n.PathStats(addrA4, addrB4); s.Overflow != 3 || s.Delivered != 2 {
			t.Fatalf("path stats %+v", s)
		}
		read(t, srv)
		mustSend(t, cli, payload(1000), srv.LocalAddr())
		if s := srv.Stats(); s.RecvDropped != 3 {
			t.Fatalf("after a read: stats %+v", s)
		}
		srv.SetReadBuffer(0)
		mustSend(t, cli, payload(1), srv.LocalAddr())
		if s := srv.Stats(); s.RecvDropped != 4 {
			t.Fatalf("with no buffer: stats %+v", s)
		}
	})
}

func TestRawICMP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{NoErrorQueue: true, RawICMP: true}, memnet.HostConfig{})
		p.n.SetPath(addrA6, addrB6, memnet.PathConfig{MTU: 1280, Reporter: netip.MustParseAddr("2001:db8::fe")})
		cli := listen(t, p.a, netip.IPv6Unspecified())
		var mu sync.Mutex
		var events []icmp.Event
		l, err := cli.ListenICMP(func(ev icmp.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, ev)
		})
		if err != nil {
			t.Fatal(err)
		}
		big := payload(1300)
		to := netip.AddrPortFrom(addrB6, 4433)
		mustSend(t, cli, big, to)
		synctest.Wait()
		mu.Lock()
		if len(events) != 1 {
			t.Fatalf("events %v", events)
		}
		ev := events[0]
		mu.Unlock()
		want := icmp.Event{
			Local: netip.AddrPortFrom(addrA6, cli.LocalAddr().Port()), Remote: to, MTU: 1280,
			Reporter: netip.MustParseAddr("2001:db8::fe"), Kind: icmp.KindPacketTooBig, Type: 2, IPv6: true, QuotedLen: 1300,
		}
		if got := ev; !equalQuote(got.Quote, big, 1184) {
			t.Fatalf("quote of %d bytes", len(got.Quote))
		}
		ev.Quote = nil
		if ev.String() != want.String() || ev.Type != want.Type || ev.Code != want.Code || ev.IPv6 != want.IPv6 {
			t.Fatalf("event %+v; want %+v", ev, want)
		}
		l.Close()
		mustSend(t, cli, big, to)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(events) != 1 {
			t.Fatalf("an event after Close: %v", events)
		}
		// Without privilege, no raw listener.
		other := listen(t, p.b, addrB4)
		if _, err := other.ListenICMP(func(icmp.Event) {}); err == nil {
			t.Fatal("ListenICMP without RawICMP succeeded")
		}
	})
}

func TestCloseUnblocksRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		errc := make(chan error, 1)
		go func() {
			_, _, err := c.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		synctest.Wait()
		c.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadFrom after Close: %v", err)
		}
		if err := c.WriteTo([]byte("x"), netip.AddrPortFrom(addrB4, 9)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("WriteTo after Close: %v", err)
		}
		if err := c.DrainErrors(nil); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("DrainErrors after Close: %v", err)
		}
	})
}

func TestNetworkClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		h, err := n.AddHost(memnet.HostConfig{Addrs: []netip.Addr{addrA4, addrB4}})
		if err != nil {
			t.Fatal(err)
		}
		n.SetPath(addrA4, addrB4, memnet.PathConfig{Delay: time.Second})
		a := listen(t, h, addrA4)
		b := listen(t, h, addrB4)
		errc := make(chan error, 1)
		go func() {
			_, _, err := b.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		mustSend(t, a, []byte("in flight"), b.LocalAddr())
		time.Sleep(time.Millisecond)
		n.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadFrom after Close: %v", err)
		}
		// The datagram in flight is dropped, and its timer stopped:
		// synctest.Test would fail on a goroutine left behind.
		time.Sleep(2 * time.Second)
		if _, err := h.Listen(netip.AddrPortFrom(addrA4, 0)); err == nil {
			t.Fatal("Listen on a closed network succeeded")
		}
	})
}
