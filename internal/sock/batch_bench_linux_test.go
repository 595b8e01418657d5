package sock

import (
	"sync/atomic"
	"testing"
	"time"
)

// benchWindow is how many datagrams the sender of BenchmarkOneWay may be
// ahead of the receiver: enough to keep both busy, few enough for the
// receive buffer, so that the benchmark measures what the two ends
// sustain, not what the kernel drops.
const benchWindow = 1024

// A benchMode is a way of sending and reading in BenchmarkOneWay.
type benchMode struct {
	name  string
	batch bool    // SendBatch and ReadBatch of 64, else Send and ReadFrom
	off   offload // the offloads: of the sender for GSO, of the receiver for GRO
}

// BenchmarkOneWay measures one-way datagrams of 1000 bytes over loopback,
// one sender and one reader: one system call per datagram each way
// (unbatched), sendmmsg and recvmmsg of 64 (batched), with segmentation on
// send (gso), and with coalescing on receive too (gso+gro). An op is one
// datagram received; compare with benchstat -col /mode.
func BenchmarkOneWay(b *testing.B) {
	for _, m := range []benchMode{
		{"unbatched", false, offloads[0]},
		{"batched", true, offloads[0]},
		{"gso", true, offloads[1]},
		{"gso+gro", true, offloads[3]},
	} {
		b.Run("mode="+m.name, func(b *testing.B) { benchOneWay(b, m) })
	}
}

// benchOneWay runs BenchmarkOneWay in mode m.
func benchOneWay(b *testing.B, m benchMode) {
	ss, us := batchSocket(b, "udp4", offload{gso: m.off.gso})
	rs, ur := batchSocket(b, "udp4", offload{gro: m.off.gro})
	if err := ur.c.SetReadDeadline(time.Time{}); err != nil {
		b.Fatal(err)
	}
	ur.SetReadBuffer(8 << 20)
	out := numbered(0, 64, 1000, ur.local)
	var f flow
	f.wake = make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- benchReceive(rs, m.batch, b.N, &f) }()
	stop := watchdog(ur, &f.got, b.N)
	defer stop()

	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		k := min(len(out), b.N-sent)
		f.wait(int64(sent + k))
		if err := benchSend(ss, m.batch, out[:k]); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	if err := <-done; err != nil {
		b.Fatalf("received %d of %d: %v", f.got.Load(), b.N, err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "dgrams/s")
	b.StopTimer()
	if st := us.OffloadStats(); b.N > 1 && m.off.gso != (st.GSOSends > 0) {
		b.Fatalf("sender offloads %+v", st)
	}
}

// benchSend sends ms, in one batch or one by one.
func benchSend(s *Socket, batch bool, ms []Message) error {
	if batch {
		_, err := s.SendBatch(ms)
		return err
	}
	for _, m := range ms {
		if err := s.Send(m.Buf, m.Addr); err != nil {
			return err
		}
	}
	return nil
}

// A flow keeps the sender of BenchmarkOneWay at most benchWindow
// datagrams ahead of the receiver, asleep while it waits.
type flow struct {
	got     atomic.Int64 // datagrams received
	waiting atomic.Bool  // the sender waits for got to grow
	wake    chan struct{}
}

// wait returns once the receiver is less than benchWindow datagrams
// behind sent.
func (f *flow) wait(sent int64) {
	for sent-f.got.Load() > benchWindow {
		f.waiting.Store(true)
		if sent-f.got.Load() > benchWindow {
			<-f.wake
		}
		f.waiting.Store(false)
	}
}

// received counts k datagrams received, waking the sender if it waits.
func (f *flow) received(k int) {
	f.got.Add(int64(k))
	if f.waiting.Load() {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// benchReceive reads n datagrams, in batches or one by one, counting them
// in f.
func benchReceive(s *Socket, batch bool, n int, f *flow) error {
	ms := numbered(0, 64, 2048, s.local)
	for f.got.Load() < int64(n) {
		if !batch {
			if _, _, err := s.ReadFrom(ms[0].Buf); err != nil {
				return err
			}
			f.received(1)
			continue
		}
		k, err := s.ReadBatch(ms)
		if err != nil {
			return err
		}
		f.received(k)
	}
	return nil
}

// watchdog closes u if got stops growing before it reaches n, which a
// datagram lost would cause, so that the benchmark fails rather than
// hangs. The function it returns stops it.
func watchdog(u *udpConn, got *atomic.Int64, n int) (stop func()) {
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := int64(-1)
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			cur := got.Load()
			if cur == last && cur < int64(n) {
				u.Close()
				return
			}
			last = cur
		}
	}()
	return func() { close(quit) }
}
