package memnet_test

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
)

// refused is an error-queue entry of a port unreachable about a datagram
// to a peer elsewhere.
var refused = platform.QueuedError{
	Errno: memnet.EConnRefused, Origin: platform.OriginICMP, Type: 3, Code: 3,
	Offender: netip.MustParseAddr("198.51.100.7"), Dest: netip.MustParseAddrPort("198.51.100.7:9"),
}

// messages returns count messages of one byte, their index, to `to`.
func messages(count int, to netip.AddrPort) []sock.Message {
	ms := make([]sock.Message, count)
	for i := range ms {
		ms[i] = sock.Message{Buf: []byte{byte(i)}, Addr: to}
	}
	return ms
}

// TestWriteBatchLosesLaterErrors checks that WriteBatch returns the error
// of its first datagram, and, as sendmmsg, loses that of a later one: a
// pending error is cleared, its entry stays on the error queue.
func TestWriteBatchLosesLaterErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		srv := listen(t, p.b, addrB4)
		c.InjectError(refused)
		if n, err := c.WriteBatch(messages(3, srv.LocalAddr())); n != 0 || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("WriteBatch = %d, %v; want the pending error", n, err)
		}
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{Drop: func(d memnet.Datagram) bool {
			if d.Seq == 2 {
				c.InjectError(refused)
			}
			return false
		}})
		if n, err := c.WriteBatch(messages(4, srv.LocalAddr())); n != 2 || err != nil {
			t.Fatalf("WriteBatch = %d, %v; want 2 and no error", n, err)
		}
		if n, err := c.WriteBatch(messages(2, srv.LocalAddr())); n != 2 || err != nil {
			t.Fatalf("WriteBatch after the lost error = %d, %v", n, err)
		}
		if qs := drain(t, c); len(qs) != 2 {
			t.Fatalf("error queue %v; want both entries", qs)
		}
		if st := c.Stats(); st.Sent != 4 || st.WriteBatches != 3 || st.PendingReturned != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestReadBatch checks that ReadBatch returns the pending error first,
// then the datagrams waiting, at most len(ms), without waiting for more,
// and waits when there are none.
func TestReadBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		srv := listen(t, p.b, addrB4)
		for i := range 5 {
			mustSend(t, c, []byte{byte(i), 0}, srv.LocalAddr())
		}
		srv.InjectError(refused)
		ms := make([]sock.Message, 3)
		for i := range ms {
			ms[i].Buf = make([]byte, 1)
		}
		if n, err := srv.ReadBatch(ms); n != 0 {
			t.Fatalf("ReadBatch = %d, %v; want the pending error", n, err)
		} else {
			checkErrno(t, err, "read", syscall.ECONNREFUSED)
		}
		for _, want := range [][]int{{0, 1, 2}, {3, 4}} {
			n, err := srv.ReadBatch(ms)
			if n != len(want) || err != nil {
				t.Fatalf("ReadBatch = %d, %v; want %d", n, err, len(want))
			}
			for i, m := range ms[:n] {
				if m.N != 1 || int(m.Buf[0]) != want[i] || m.Addr != c.LocalAddr() {
					t.Fatalf("message %d: %d bytes %v from %v", i, m.N, m.Buf, m.Addr)
				}
			}
		}
		done := make(chan int)
		go func() {
			n, _ := srv.ReadBatch(ms)
			done <- n
		}()
		synctest.Wait()
		mustSend(t, c, []byte{9}, srv.LocalAddr())
		if n := <-done; n != 1 || ms[0].Buf[0] != 9 {
			t.Fatalf("ReadBatch after waiting = %d", n)
		}
		if st := srv.Stats(); st.Received != 6 || st.ReadBatches != 3 {
			t.Fatalf("stats %+v", st)
		}
		srv.Close()
		if _, err := srv.ReadBatch(ms); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadBatch after Close = %v", err)
		}
	})
}
