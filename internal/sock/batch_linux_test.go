package sock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// These tests run batches over real sockets on the loopback interface,
// where the kernel segments and coalesces as it does on a real interface
// that offloads UDP: a segmented buffer reaches a socket that coalesces
// whole, and one that does not in datagrams.

// An offload says which offloads the two ends of a test use.
type offload struct {
	name string
	gso  bool // the sender segments
	gro  bool // the receiver coalesces
}

var offloads = []offload{
	{"plain", false, false},
	{"gso", true, false},
	{"gro", false, true},
	{"gso+gro", true, true},
}

// batchSocket opens a Socket on the loopback of network with the offloads
// of o, reads on it failing after 10 s rather than hanging.
func batchSocket(t testing.TB, network string, o offload) (*Socket, *udpConn) {
	t.Helper()
	c := listenLoopback(t, network)
	u := c.(*udpConn)
	if !u.caps.GSO || !u.caps.GRO {
		testenv.SkipOrFail(t, "the kernel has no UDP GSO or GRO: %+v", u.caps)
	}
	if err := u.SetGSO(o.gso); err != nil {
		t.Fatal(err)
	}
	if o.gro {
		if err := u.EnableGRO(); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return New(c, nil), u
}

// numbered returns count messages of size bytes to `to`, each starting
// with its number from first.
func numbered(first, count, size int, to netip.AddrPort) []Message {
	ms := make([]Message, count)
	for i := range ms {
		ms[i].Buf = make([]byte, size)
		binary.BigEndian.PutUint32(ms[i].Buf, uint32(first+i))
		ms[i].Addr = to
	}
	return ms
}

// receiveAll reads count datagrams from s in batches of 64 and checks that
// they are numbered from first in order, of size bytes, from `from`.
func receiveAll(t *testing.T, s *Socket, first, count, size int, from netip.AddrPort) {
	t.Helper()
	ms := make([]Message, 64)
	for i := range ms {
		ms[i].Buf = make([]byte, 2048)
	}
	next := first
	for next < first+count {
		n, err := s.ReadBatch(ms)
		if err != nil {
			t.Fatalf("ReadBatch after %d datagrams: %v", next-first, err)
		}
		for _, m := range ms[:n] {
			if m.N != size || m.Addr != from || binary.BigEndian.Uint32(m.Buf) != uint32(next) {
				t.Fatalf("datagram %d: %d bytes from %v numbered %d", next, m.N, m.Addr, binary.BigEndian.Uint32(m.Buf))
			}
			next++
		}
	}
}

// sendAll sends ms in one SendBatch, which must send every datagram.
func sendAll(t *testing.T, s *Socket, ms []Message) {
	t.Helper()
	if n, err := s.SendBatch(ms); n != len(ms) || err != nil {
		t.Fatalf("SendBatch = %d, %v; want %d", n, err, len(ms))
	}
	for i, m := range ms {
		if m.Err != nil {
			t.Fatalf("message %d: %v", i, m.Err)
		}
	}
}

// TestBatchLoopback sends batches of 64 datagrams of 1000 bytes each way,
// for each address family and each combination of offloads, and checks
// that the offloads did their part.
func TestBatchLoopback(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		for _, o := range offloads {
			t.Run(network+"/"+o.name, func(t *testing.T) {
				a, ua := batchSocket(t, network, o)
				b, ub := batchSocket(t, network, o)
				for round := range 3 {
					sendAll(t, a, numbered(round*64, 64, 1000, ub.local))
					receiveAll(t, b, round*64, 64, 1000, ua.local)
					sendAll(t, b, numbered(round*64, 64, 1000, ua.local))
					receiveAll(t, a, round*64, 64, 1000, ub.local)
				}
				checkOffloads(t, o, ua.OffloadStats(), ub.OffloadStats())
				if st := a.Stats(); st.Sent != 192 || st.Received != 192 || st.SendBatches != 3 {
					t.Errorf("stats %+v", st)
				}
			})
		}
	}
}

// checkOffloads checks the offload counts of two ends that sent each other
// the same datagrams with the offloads of o.
func checkOffloads(t *testing.T, o offload, sts ...OffloadStats) {
	t.Helper()
	for _, st := range sts {
		if st.GSO != o.gso || st.GRO != o.gro || st.GSOFallbacks != 0 {
			t.Errorf("offloads of %s: %+v", o.name, st)
		}
		if o.gso != (st.GSOSends > 0) || o.gso && st.GSODatagrams != 192 {
			t.Errorf("segmentation of %s: %+v", o.name, st)
		}
		// A segmented buffer reaches a socket that coalesces whole.
		if o.gso && o.gro != (st.GROReads > 0) || !o.gso && st.GROReads != 0 {
			t.Errorf("coalescing of %s: %+v", o.name, st)
		}
	}
}

// TestBatchDualStack sends a batch from a dual-stack socket to an IPv4
// peer and back: the addresses are unmapped both ways.
func TestBatchDualStack(t *testing.T) {
	for _, o := range offloads {
		t.Run(o.name, func(t *testing.T) {
			d, ud := batchSocket(t, "udp", o)
			p, up := batchSocket(t, "udp4", o)
			to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ud.local.Port())
			sendAll(t, p, numbered(0, 64, 1000, to))
			receiveAll(t, d, 0, 64, 1000, up.local)
			sendAll(t, d, numbered(0, 64, 1000, up.local))
			receiveAll(t, p, 0, 64, 1000, to)
		})
	}
}

// TestBatchMixed sends a batch of datagrams of assorted sizes to two
// peers, interleaved: each peer gets its own in order, and segmentation
// takes the runs of equal size, the last of a run shorter.
func TestBatchMixed(t *testing.T) {
	o := offload{"gso+gro", true, true}
	s, us := batchSocket(t, "udp4", o)
	p1, u1 := batchSocket(t, "udp4", o)
	p2, u2 := batchSocket(t, "udp4", o)
	var ms []Message
	sizes := []int{1200, 1200, 1200, 700, 1200, 1200, 300, 300, 300, 5, 0}
	for i, size := range sizes {
		to := u1.local
		if i >= 6 {
			to = u2.local
		}
		ms = append(ms, Message{Buf: make([]byte, size), Addr: to})
	}
	sendAll(t, s, ms)
	want := func(p *Socket, sizes []int) {
		t.Helper()
		rs := make([]Message, 4)
		for i := range rs {
			rs[i].Buf = make([]byte, 2048)
		}
		var got []int
		for len(got) < len(sizes) {
			n, err := p.ReadBatch(rs)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range rs[:n] {
				if m.Addr != us.local {
					t.Fatalf("from %v", m.Addr)
				}
				got = append(got, m.N)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(sizes) {
			t.Fatalf("sizes received %v; want %v", got, sizes)
		}
	}
	want(p1, sizes[:6])
	want(p2, sizes[6:])
	// Runs: 1200×3 and 700, 1200×2 (the peer changes), 300×3 and 5; the
	// empty datagram goes alone.
	if st := us.OffloadStats(); st.GSOSends != 3 || st.GSODatagrams != 10 {
		t.Errorf("offload stats %+v", st)
	}
}

// TestBatchReadFromCoalesced reads with ReadFrom, one datagram at a time,
// what arrives coalesced: the datagrams left over from a read come first
// in the next.
func TestBatchReadFromCoalesced(t *testing.T) {
	a, ua := batchSocket(t, "udp6", offload{"gso", true, false})
	b, ub := batchSocket(t, "udp6", offload{"gro", false, true})
	sendAll(t, a, numbered(0, 40, 1000, ub.local))
	buf := make([]byte, 2048)
	for i := range 40 {
		n, from, err := b.ReadFrom(buf)
		if err != nil || n != 1000 || from != ua.local || binary.BigEndian.Uint32(buf) != uint32(i) {
			t.Fatalf("ReadFrom %d: %d bytes from %v numbered %d, %v", i, n, from, binary.BigEndian.Uint32(buf), err)
		}
	}
	if st := ub.OffloadStats(); st.GROReads == 0 || st.GRODatagrams != 40 {
		t.Errorf("offload stats %+v", st)
	}
}

// TestBatchPendingErrorReal sends a batch after a datagram to a closed
// port: the batch meets the port unreachable's pending error, which the
// handler hears, and every datagram of it goes.
func TestBatchPendingErrorReal(t *testing.T) {
	for _, o := range offloads[:2] {
		t.Run(o.name, func(t *testing.T) {
			_, ua := batchSocket(t, "udp4", o)
			h := make(events, 4)
			s := New(ua, h)
			b, ub := batchSocket(t, "udp4", o)
			if err := s.Send([]byte("gone"), closedPort(t, ua)); err != nil {
				t.Fatal(err)
			}
			waitPending(t, ua)
			sendAll(t, s, numbered(0, 64, 1000, ub.local))
			receiveAll(t, b, 0, 64, 1000, ua.local)
			if ev := h.next(t); string(ev.Quote) != "gone" {
				t.Fatalf("event %v", ev)
			}
			if st := s.Stats(); st.PendingRetried != 1 || st.Sent != 65 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// refusing stands in for the kernel's sendmmsg, refusing every segmented
// send with errno, and every datagram above limit bytes sent alone with
// EMSGSIZE; the others go through the kernel.
func refusing(errno error, limit int) func(u *udpConn, m *mmsg) (int, error) {
	return func(u *udpConn, m *mmsg) (int, error) {
		for k := range m.nh {
			if m.count[k] > 1 || int(m.iovs[k].Len) > limit {
				if k > 0 {
					m.nh = k
					return u.sendmmsg(m)
				}
				if m.count[k] > 1 {
					return 0, u.opError("write", errno)
				}
				return 0, u.opError("write", errEMSGSIZE)
			}
		}
		return u.sendmmsg(m)
	}
}

// The errors of the stand-in for sendmmsg.
var (
	errEIO      = os.NewSyscallError("sendmmsg", unix.EIO)
	errEINVAL   = os.NewSyscallError("sendmmsg", unix.EINVAL)
	errEMSGSIZE = os.NewSyscallError("sendmmsg", unix.EMSGSIZE)
)

// TestBatchGSOFallback has segmented sends refused: with EIO, segmentation
// goes off for good; with EINVAL, it goes off if the datagrams then go
// unsegmented, and stays on if they are too large. Every datagram that can
// go goes, in order.
func TestBatchGSOFallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		errno  error
		limit  int
		gsoOff bool
	}{
		{"EIO", errEIO, 1 << 16, true},
		{"EINVAL", errEINVAL, 1 << 16, true},
		{"EINVAL/too-large", errEINVAL, 500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, ua := batchSocket(t, "udp4", offload{"gso", true, false})
			b, ub := batchSocket(t, "udp4", offload{"plain", false, false})
			ua.batch.send = refusing(tc.errno, tc.limit)
			if tc.limit < 1000 {
				n, err := ua.WriteBatch(numbered(0, 10, 1000, ub.local))
				if n != 0 || !errors.Is(err, unix.EMSGSIZE) {
					t.Fatalf("WriteBatch = %d, %v; want EMSGSIZE", n, err)
				}
			} else {
				sendAll(t, a, numbered(0, 10, 1000, ub.local))
				receiveAll(t, b, 0, 10, 1000, ua.local)
			}
			st := ua.OffloadStats()
			if st.GSO == tc.gsoOff || st.GSOFallbacks != 1 || st.GSOSends != 0 {
				t.Fatalf("offload stats %+v", st)
			}
		})
	}
}

// TestBatchDoesNotAllocate checks that batches allocate nothing once the
// pools hold what they need, with and without the offloads.
func TestBatchDoesNotAllocate(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector makes sync.Pool drop items: allocations are counted without it")
	}
	for _, o := range offloads {
		t.Run(o.name, func(t *testing.T) {
			a, ua := batchSocket(t, "udp6", o)
			b, ub := batchSocket(t, "udp6", o)
			out := numbered(0, 64, 1000, ub.local)
			in := numbered(0, 64, 2048, ua.local)
			round := func() {
				if n, err := a.SendBatch(out); n != len(out) || err != nil {
					t.Fatal(n, err)
				}
				for got := 0; got < len(out); {
					n, err := b.ReadBatch(in)
					if err != nil {
						t.Fatal(err)
					}
					got += n
				}
			}
			round()
			if allocs := testing.AllocsPerRun(100, round); allocs != 0 {
				t.Errorf("%v allocations per batch of 64 each way, want 0", allocs)
			}
		})
	}
}
