package sock_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
)

// batch returns messages to `to`, one per size, each filled with its
// index.
func batch(to netip.AddrPort, sizes ...int) []sock.Message {
	ms := make([]sock.Message, len(sizes))
	for i, size := range sizes {
		ms[i] = sock.Message{Buf: make([]byte, size), Addr: to}
		for j := range ms[i].Buf {
			ms[i].Buf[j] = byte(i)
		}
	}
	return ms
}

// room returns count messages with room for 2048 bytes each.
func room(count int) []sock.Message {
	ms := make([]sock.Message, count)
	for i := range ms {
		ms[i].Buf = make([]byte, 2048)
	}
	return ms
}

// outcomes returns the Err of each message, as text.
func outcomes(ms []sock.Message) string {
	var s []string
	for _, m := range ms {
		switch {
		case m.Err == nil:
			s = append(s, "sent")
		case errors.Is(m.Err, sock.ErrTooLong):
			s = append(s, "too long")
		case errors.Is(m.Err, sock.ErrNotSent):
			s = append(s, "not sent")
		case errors.Is(m.Err, net.ErrClosed):
			s = append(s, "closed")
		default:
			s = append(s, m.Err.Error())
		}
	}
	return fmt.Sprint(s)
}

// received reads every datagram that the path from A's IPv4 address to
// B's delivered to c and returns their first bytes, the indexes of batch.
func received(t *testing.T, p *pair, c *memnet.Conn) []int {
	t.Helper()
	var got []int
	b := make([]byte, 2048)
	for range p.n.PathStats(addrA4, addrB4).Delivered {
		n, _, err := c.ReadFrom(b)
		if err != nil || n == 0 {
			t.Fatalf("ReadFrom = %d, %v", n, err)
		}
		got = append(got, int(b[0]))
	}
	return got
}

// TestSendBatchPendingErrorInMiddle has a port unreachable arrive while a
// batch is being sent: the next datagram meets its pending error, which
// the system clears without reporting it (sendmmsg). The Socket sends the
// rest, and the handler hears the error.
func TestSendBatchPendingErrorInMiddle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		live := listen(t, p.b, addrB4)
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{Drop: func(d memnet.Datagram) bool {
			if d.Seq == 3 {
				c.InjectError(portUnreachable)
			}
			return false
		}})
		var r recorder
		s := sock.New(c, &r)
		defer s.Close()
		ms := batch(live.LocalAddr(), 100, 100, 100, 100, 100, 100)
		if n, err := s.SendBatch(ms); n != 6 || err != nil || outcomes(ms) != "[sent sent sent sent sent sent]" {
			t.Fatalf("SendBatch = %d, %v: %s", n, err, outcomes(ms))
		}
		if got := received(t, p, live); fmt.Sprint(got) != "[0 1 2 3 4 5]" {
			t.Fatalf("received %v", got)
		}
		if events, _ := r.got(); len(events) != 1 || events[0].Kind != icmp.KindPortUnreachable {
			t.Fatalf("handler got %v", events)
		}
		if st := s.Stats(); st.Sent != 6 || st.SendBatches != 2 || st.ShortBatches != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestSendBatchPendingErrorFirst has a batch begin with a pending error:
// its first datagram goes on the next attempt, as Send's would.
func TestSendBatchPendingErrorFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		live := listen(t, p.b, addrB4)
		var r recorder
		s := sock.New(c, &r)
		defer s.Close()
		c.InjectError(portUnreachable)
		ms := batch(live.LocalAddr(), 10, 10, 10)
		if n, err := s.SendBatch(ms); n != 3 || err != nil {
			t.Fatalf("SendBatch = %d, %v: %s", n, err, outcomes(ms))
		}
		if got := received(t, p, live); fmt.Sprint(got) != "[0 1 2]" {
			t.Fatalf("received %v", got)
		}
		if events, _ := r.got(); len(events) != 1 {
			t.Fatalf("handler got %v", events)
		}
		if st := s.Stats(); st.Sent != 3 || st.PendingRetried != 1 || st.ShortBatches != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestSendBatchRefusalInMiddle sends a batch with a datagram larger than
// the interface MTU in the middle: it alone gets a *TooLongError, the
// handler hears the limit, and the datagrams after it go.
func TestSendBatchRefusalInMiddle(t *testing.T) {
	for _, noQueue := range []bool{false, true} {
		t.Run(fmt.Sprintf("noQueue=%v", noQueue), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, memnet.HostConfig{MTU: 1400, NoErrorQueue: noQueue}, memnet.HostConfig{})
				live := listen(t, p.b, addrB4)
				var r recorder
				s := sock.New(listen(t, p.a, addrA4), &r)
				defer s.Close()
				ms := batch(live.LocalAddr(), 100, 100, 1400-28+1, 100, 1400-28, 100)
				n, err := s.SendBatch(ms)
				var tl *sock.TooLongError
				if n != 5 || !errors.As(err, &tl) || tl.MTU != 1400 || outcomes(ms) != "[sent sent too long sent sent sent]" {
					t.Fatalf("SendBatch = %d, %v: %s", n, err, outcomes(ms))
				}
				if !errors.As(ms[2].Err, &tl) || tl.MTU != 1400 {
					t.Fatalf("message 2: %v", ms[2].Err)
				}
				if got := received(t, p, live); fmt.Sprint(got) != "[0 1 3 4 5]" {
					t.Fatalf("received %v", got)
				}
				// The refusal is heard once, as Send's.
				if _, limits := r.got(); len(limits) != 1 || limits[0].mtu != 1400 {
					t.Fatalf("LocalLimit calls %v", limits)
				}
				if st := s.Stats(); st.Sent != 5 || st.TooLong != 1 || st.LocalRefused != 1 || st.ShortBatches != 1 {
					t.Fatalf("stats %+v", st)
				}
			})
		})
	}
}

// TestSendBatchNotSent floods the socket with errors about other peers:
// the datagram that every attempt fails to send gets ErrNotSent, and is
// not counted as sent; the batch goes on.
func TestSendBatchNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := &flooded{Conn: listen(t, p.a, addrA4)}
		live := listen(t, p.b, addrB4)
		s := sock.New(c, nil)
		defer s.Close()
		// The flood hits the attempts of Send, which go through the
		// wrapper; the batch itself meets the error injected first.
		c.InjectError(portUnreachable)
		c.flood.Store(true)
		ms := batch(live.LocalAddr(), 10, 10, 10)
		if n, err := s.SendBatch(ms); n != 2 || !errors.Is(err, sock.ErrNotSent) || outcomes(ms) != "[not sent sent sent]" {
			t.Fatalf("SendBatch = %d, %v: %s", n, err, outcomes(ms))
		}
		if got := received(t, p, live); fmt.Sprint(got) != "[1 2]" {
			t.Fatalf("received %v", got)
		}
		if st := s.Stats(); st.Sent != 2 || st.NotSent != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestSendBatchClosed sends on a closed socket: every datagram gets the
// error, none is sent.
func TestSendBatchClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		s := sock.New(listen(t, p.a, addrA4), nil)
		s.Close()
		ms := batch(netip.AddrPortFrom(addrB4, 9), 10, 10, 10)
		if n, err := s.SendBatch(ms); n != 0 || !errors.Is(err, net.ErrClosed) || outcomes(ms) != "[closed closed closed]" {
			t.Fatalf("SendBatch = %d, %v: %s", n, err, outcomes(ms))
		}
	})
}

// TestReadBatchPartial reads batches larger and smaller than what waits:
// a read returns what waits without waiting for more, and leaves what
// does not fit for the next. A datagram longer than its buffer is
// truncated.
func TestReadBatchPartial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		s := sock.New(listen(t, p.b, addrB4), nil)
		defer s.Close()
		peer := listen(t, p.a, addrA4)
		for i := range 5 {
			if err := peer.WriteTo([]byte{byte(i), 1, 2}, s.Conn().LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		ms := room(3)
		ms[2].Buf = ms[2].Buf[:2]
		if n, err := s.ReadBatch(ms); n != 3 || err != nil {
			t.Fatalf("ReadBatch = %d, %v", n, err)
		}
		for i, m := range ms {
			if m.Addr != peer.LocalAddr() || m.Buf[0] != byte(i) || m.N != min(3, len(m.Buf)) {
				t.Fatalf("message %d: %d bytes from %v: %v", i, m.N, m.Addr, m.Buf[:m.N])
			}
		}
		ms = room(8)
		if n, err := s.ReadBatch(ms); n != 2 || err != nil || ms[0].Buf[0] != 3 || ms[1].Buf[0] != 4 {
			t.Fatalf("ReadBatch = %d, %v", n, err)
		}
		if n, err := s.ReadBatch(nil); n != 0 || err != nil {
			t.Fatalf("ReadBatch(nil) = %d, %v", n, err)
		}
		if st := s.Stats(); st.Received != 5 || st.ReadBatches != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestReadBatchPendingError has a port unreachable arrive behind waiting
// datagrams: the read meets its pending error first, as Linux's does; the
// handler hears it, and the batch has every datagram.
func TestReadBatchPendingError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		var r recorder
		c := listen(t, p.b, addrB4)
		s := sock.New(c, &r)
		defer s.Close()
		peer := listen(t, p.a, addrA4)
		for i := range 3 {
			if err := peer.WriteTo([]byte{byte(i)}, c.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		c.InjectError(portUnreachable)
		ms := room(8)
		if n, err := s.ReadBatch(ms); n != 3 || err != nil {
			t.Fatalf("ReadBatch = %d, %v", n, err)
		}
		if events, _ := r.got(); len(events) != 1 {
			t.Fatalf("handler got %v", events)
		}
		if st := s.Stats(); st.PendingRead != 1 || st.Received != 3 {
			t.Fatalf("stats %+v", st)
		}
		// Close unblocks a batch read with net.ErrClosed.
		errc := make(chan error, 1)
		go func() {
			_, err := s.ReadBatch(ms)
			errc <- err
		}()
		synctest.Wait()
		s.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadBatch after Close = %v", err)
		}
	})
}

// single hides the BatchConn of a memnet Conn: a Conn that sends and reads
// one datagram per call.
type single struct{ sock.Conn }

// TestBatchWithoutBatchConn runs batches over a Conn that is no BatchConn:
// one datagram per read, one Send per datagram, with the same outcomes.
func TestBatchWithoutBatchConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{MTU: 1400}, memnet.HostConfig{})
		live := listen(t, p.b, addrB4)
		var r recorder
		c := listen(t, p.a, addrA4)
		s := sock.New(single{c}, &r)
		defer s.Close()
		c.InjectError(portUnreachable)
		ms := batch(live.LocalAddr(), 100, 1400, 100)
		if n, err := s.SendBatch(ms); n != 2 || !errors.Is(err, sock.ErrTooLong) || outcomes(ms) != "[sent too long sent]" {
			t.Fatalf("SendBatch = %d, %v: %s", n, err, outcomes(ms))
		}
		rs := sock.New(single{live}, nil)
		in := room(4)
		for want := range []int{0, 2} {
			if n, err := rs.ReadBatch(in); n != 1 || err != nil || in[0].Addr != c.LocalAddr() {
				t.Fatalf("ReadBatch %d = %d, %v", want, n, err)
			}
		}
		if st := s.Stats(); st.Sent != 2 || st.TooLong != 1 || st.SendBatches != 0 {
			t.Fatalf("stats %+v", st)
		}
		s.Close()
		if n, err := s.SendBatch(ms); n != 0 || !errors.Is(err, net.ErrClosed) || outcomes(ms) != "[closed closed closed]" {
			t.Fatalf("SendBatch after Close = %d, %v: %s", n, err, outcomes(ms))
		}
	})
}
