package dgramtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// numbered returns datagram i of a test stream: its index, then padding.
func numbered(i, size int) []byte {
	b := make([]byte, max(size, 4))
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

// drain reads every datagram currently queued at c without blocking (the read
// deadline is set in the past once the queue is empty) and returns their indices.
func drain(t *testing.T, c *Conn) []int {
	t.Helper()
	var got []int
	buf := make([]byte, 2048)
	for len(c.in.rx) > 0 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		got = append(got, int(binary.BigEndian.Uint32(buf[:n])))
	}
	return got
}

func TestPipeRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{}, Impairment{})
		defer a.Close()
		defer b.Close()
		for _, tc := range []struct {
			from, to *Conn
			msg      string
		}{{a, b, "hello"}, {b, a, "world"}, {a, b, ""}, {a, b, "again"}} {
			if n, err := tc.from.Write([]byte(tc.msg)); n != len(tc.msg) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", tc.msg, n, err)
			}
			buf := make([]byte, 100)
			n, err := tc.to.Read(buf)
			if err != nil || string(buf[:n]) != tc.msg {
				t.Fatalf("Read = %q, %v; want %q", buf[:n], err, tc.msg)
			}
		}
		if a.LocalAddr().String() != b.RemoteAddr().String() ||
			b.LocalAddr().String() != a.RemoteAddr().String() ||
			a.LocalAddr().String() == b.LocalAddr().String() {
			t.Errorf("addresses: a %v→%v, b %v→%v", a.LocalAddr(), a.RemoteAddr(), b.LocalAddr(), b.RemoteAddr())
		}
		if _, ok := a.LocalAddr().(*net.UDPAddr); !ok {
			t.Errorf("LocalAddr is %T, want *net.UDPAddr", a.LocalAddr())
		}
	})
}

func TestWriteCopies(t *testing.T) {
	a, b := Pipe(Impairment{}, Impairment{})
	defer a.Close()
	defer b.Close()
	p := []byte("abc")
	a.Write(p)
	p[0] = 'x'
	buf := make([]byte, 10)
	n, _ := b.Read(buf)
	if string(buf[:n]) != "abc" {
		t.Errorf("Read = %q, want %q: Write kept a reference to its argument", buf[:n], "abc")
	}
}

func TestShortBuffer(t *testing.T) {
	a, b := Pipe(Impairment{}, Impairment{})
	defer a.Close()
	defer b.Close()
	a.Write([]byte("0123456789"))
	a.Write([]byte("next"))
	buf := make([]byte, 4)
	n, err := b.Read(buf)
	if n != 4 || !errors.Is(err, io.ErrShortBuffer) || string(buf) != "0123" {
		t.Fatalf("Read = %d %q, %v; want 4 \"0123\", io.ErrShortBuffer", n, buf[:n], err)
	}
	// The rest of the truncated datagram is gone; the next Read gets the next one.
	n, err = b.Read(buf)
	if err != nil || string(buf[:n]) != "next" {
		t.Fatalf("Read = %q, %v; want \"next\"", buf[:n], err)
	}
}

func TestImpairmentRates(t *testing.T) {
	const total = 20000
	tests := []struct {
		name string
		imp  Impairment
		want func(Stats) (got, want float64)
	}{
		{"loss", Impairment{Loss: 0.3, Seed: 1}, func(s Stats) (float64, float64) {
			return float64(s.DroppedLoss) / total, 0.3
		}},
		{"duplicate", Impairment{Duplicate: 0.2, Seed: 2}, func(s Stats) (float64, float64) {
			return float64(s.Duplicated) / total, 0.2
		}},
		{"reorder", Impairment{Reorder: 0.25, Seed: 3}, func(s Stats) (float64, float64) {
			// A datagram can only be held when none is held already, so a
			// fraction p/(1+p) of datagrams is overtaken.
			return float64(s.Reordered) / total, 0.25 / 1.25
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := Pipe(tc.imp, Impairment{})
				defer a.Close()
				defer b.Close()
				for i := range total {
					a.Write(numbered(i, 8))
					if i%512 == 0 {
						drain(t, b)
					}
				}
				time.Sleep(time.Second) // release a held datagram
				drain(t, b)
				s := a.Stats()
				if got, want := tc.want(s); got < want*0.9 || got > want*1.1 {
					t.Errorf("rate %.4f, want %.4f±10%%; stats %+v", got, want, s)
				}
				checkBalance(t, s, 0)
			})
		})
	}
}

// checkBalance checks the Stats invariant with inFlight datagrams still travelling.
func checkBalance(t *testing.T, s Stats, inFlight int) {
	t.Helper()
	out := s.Delivered + s.DroppedLoss + s.DroppedTooBig + s.DroppedOverflow + s.DroppedClosed + inFlight
	if s.Sent+s.Duplicated != out {
		t.Errorf("Sent+Duplicated = %d, accounted for %d: %+v", s.Sent+s.Duplicated, out, s)
	}
}

func TestLossDeliversTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{Loss: 0.5, Seed: 7}, Impairment{})
		defer a.Close()
		defer b.Close()
		for i := range 1000 {
			a.Write(numbered(i, 4))
		}
		got := drain(t, b)
		if len(got) != a.Stats().Delivered {
			t.Errorf("read %d datagrams, Stats.Delivered = %d", len(got), a.Stats().Delivered)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("order broken at %d: %v", i, got[i-1:i+1])
			}
		}
	})
}

func TestReorderOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{Reorder: 0.3, Duplicate: 0.1, Seed: 11}, Impairment{})
		defer a.Close()
		defer b.Close()
		const total = 1000
		var got []int
		for i := range total {
			a.Write(numbered(i, 4))
			if i%100 == 0 {
				got = append(got, drain(t, b)...)
			}
		}
		time.Sleep(time.Second)
		got = append(got, drain(t, b)...)
		// Every datagram arrives; a datagram is displaced by at most one position.
		seen := make(map[int]int)
		swaps := 0
		for k, v := range got {
			seen[v]++
			if k > 0 && v < got[k-1] {
				swaps++
				if got[k-1] != v+1 && !(k > 1 && got[k-2] == v+1) {
					t.Fatalf("datagram %d arrived after %v", v, got[max(0, k-2):k])
				}
			}
		}
		s := a.Stats()
		if len(seen) != total || len(got) != total+s.Duplicated {
			t.Errorf("got %d distinct, %d total; want %d, %d", len(seen), len(got), total, total+s.Duplicated)
		}
		if swaps != s.Reordered || swaps == 0 {
			t.Errorf("observed %d reorderings, Stats.Reordered = %d", swaps, s.Reordered)
		}
	})
}

func TestReorderHoldLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{Reorder: 1, Seed: 1}, Impairment{})
		defer a.Close()
		defer b.Close()
		start := time.Now()
		a.Write([]byte("only"))
		buf := make([]byte, 10)
		n, err := b.Read(buf)
		if err != nil || string(buf[:n]) != "only" {
			t.Fatalf("Read = %q, %v", buf[:n], err)
		}
		if d := time.Since(start); d != holdLimit {
			t.Errorf("held datagram delivered after %v, want %v", d, holdLimit)
		}
		if s := a.Stats(); s.Reordered != 0 {
			t.Errorf("Reordered = %d for a datagram nothing overtook", s.Reordered)
		}
	})
}

func TestMaxSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{MaxSize: 100}, Impairment{})
		defer a.Close()
		defer b.Close()
		for _, size := range []int{99, 100, 101, 1500, 0} {
			if n, err := a.Write(make([]byte, size)); n != size || err != nil {
				t.Fatalf("Write(%d bytes) = %d, %v", size, n, err)
			}
		}
		var sizes []int
		buf := make([]byte, 2000)
		for len(b.in.rx) > 0 {
			n, _ := b.Read(buf)
			sizes = append(sizes, n)
		}
		if want := []int{99, 100, 0}; !equalInts(sizes, want) {
			t.Errorf("delivered sizes %v, want %v", sizes, want)
		}
		if s := a.Stats(); s.DroppedTooBig != 2 {
			t.Errorf("DroppedTooBig = %d, want 2", s.DroppedTooBig)
		}
		a.SetImpairment(Impairment{MaxSize: 50})
		a.Write(make([]byte, 60))
		if s := a.Stats(); s.DroppedTooBig != 3 {
			t.Errorf("after SetImpairment DroppedTooBig = %d, want 3", s.DroppedTooBig)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 40 * time.Millisecond
		a, b := Pipe(Impairment{Delay: delay}, Impairment{Delay: 2 * delay})
		defer a.Close()
		defer b.Close()
		start := time.Now()
		a.Write(numbered(0, 4))
		time.Sleep(delay / 2)
		a.Write(numbered(1, 4))
		buf := make([]byte, 10)
		for i, want := range []time.Duration{delay, delay * 3 / 2} {
			n, err := b.Read(buf)
			if err != nil || binary.BigEndian.Uint32(buf[:n]) != uint32(i) {
				t.Fatalf("Read = %x, %v", buf[:n], err)
			}
			if got := time.Since(start); got != want {
				t.Errorf("datagram %d arrived at %v, want %v", i, got, want)
			}
		}
		start = time.Now()
		b.Write([]byte("back"))
		if _, err := a.Read(buf); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 2*delay {
			t.Errorf("b→a took %v, want %v", got, 2*delay)
		}
	})
}

func TestQueueOverflow(t *testing.T) {
	for _, delay := range []time.Duration{0, time.Millisecond} {
		synctest.Test(t, func(t *testing.T) {
			a, b := Pipe(Impairment{Delay: delay}, Impairment{})
			defer a.Close()
			defer b.Close()
			for i := range queueLen + 100 {
				a.Write(numbered(i, 4))
			}
			time.Sleep(2 * delay)
			got := drain(t, b)
			s := a.Stats()
			if len(got) != queueLen || s.DroppedOverflow != 100 || got[len(got)-1] != queueLen-1 {
				t.Errorf("delay %v: read %d datagrams, stats %+v", delay, len(got), s)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	run := func() ([]int, Stats) {
		var got []int
		var s Stats
		synctest.Test(t, func(t *testing.T) {
			imp := Impairment{Loss: 0.2, Duplicate: 0.1, Reorder: 0.2, Delay: time.Millisecond, Seed: 42}
			a, b := Pipe(imp, Impairment{})
			defer a.Close()
			defer b.Close()
			for i := range 500 {
				a.Write(numbered(i, 4))
			}
			time.Sleep(time.Second)
			got, s = drain(t, b), a.Stats()
		})
		return got, s
	}
	got1, s1 := run()
	got2, s2 := run()
	if !equalInts(got1, got2) || s1 != s2 {
		t.Errorf("two runs with the same seed differ: %+v vs %+v", s1, s2)
	}
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{}, Impairment{})
		defer a.Close()
		defer b.Close()
		buf := make([]byte, 10)
		start := time.Now()
		b.SetReadDeadline(start.Add(time.Second))
		_, err := b.Read(buf)
		checkTimeout(t, err)
		if d := time.Since(start); d != time.Second {
			t.Errorf("Read timed out after %v, want 1s", d)
		}
		// An expired deadline fails even with a datagram queued.
		a.Write([]byte("x"))
		if _, err := b.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read after deadline: %v", err)
		}
		b.SetReadDeadline(time.Time{})
		if n, err := b.Read(buf); err != nil || n != 1 {
			t.Errorf("Read after clearing deadline = %d, %v", n, err)
		}
		// Moving the deadline while a Read is blocked takes effect.
		start = time.Now()
		b.SetReadDeadline(start.Add(time.Second))
		go func() {
			time.Sleep(500 * time.Millisecond)
			b.SetReadDeadline(start.Add(3 * time.Second))
		}()
		_, err = b.Read(buf)
		checkTimeout(t, err)
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Read timed out after %v, want 3s", d)
		}
		// A datagram arriving before the deadline is returned.
		b.SetDeadline(time.Now().Add(time.Second))
		go func() {
			time.Sleep(100 * time.Millisecond)
			a.Write([]byte("y"))
		}()
		if n, err := b.Read(buf); err != nil || string(buf[:n]) != "y" {
			t.Errorf("Read = %q, %v", buf[:n], err)
		}
	})
}

func checkTimeout(t *testing.T, err error) {
	t.Helper()
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout satisfying os.ErrDeadlineExceeded", err)
	}
}

func TestWriteDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{}, Impairment{})
		defer a.Close()
		defer b.Close()
		a.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := a.Write([]byte("ok")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		_, err := a.Write([]byte("late"))
		checkTimeout(t, err)
		a.SetWriteDeadline(time.Time{})
		if _, err := a.Write([]byte("ok")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCloseUnblocksReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{}, Impairment{})
		errs := make(chan error, 2)
		for _, c := range []*Conn{a, b} {
			go func() {
				_, err := c.Read(make([]byte, 10))
				errs <- err
			}()
		}
		synctest.Wait()
		b.Write([]byte("to a"))
		if err := <-errs; err != nil {
			t.Fatalf("first Read: %v", err)
		}
		go func() {
			_, err := a.Read(make([]byte, 10))
			errs <- err
		}()
		synctest.Wait()
		a.Close()
		for range 2 {
			err := <-errs
			if !errors.Is(err, net.ErrClosed) && err != io.EOF {
				t.Errorf("Read after Close: %v", err)
			}
		}
		if _, err := a.Read(nil); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read on closed end: %v, want net.ErrClosed", err)
		}
		if _, err := b.Read(nil); err != io.EOF {
			t.Errorf("Read on peer of closed end: %v, want io.EOF", err)
		}
		if _, err := a.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write on closed end: %v", err)
		}
		if n, err := b.Write([]byte("x")); n != 1 || err != nil {
			t.Errorf("Write to closed peer = %d, %v; want 1, nil", n, err)
		}
		if err := a.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v", err)
		}
		b.Close()
	})
}

func TestCloseDrainsThenEOF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe(Impairment{}, Impairment{})
		a.Write([]byte("one"))
		a.Write([]byte("two"))
		a.Close()
		buf := make([]byte, 10)
		for _, want := range []string{"one", "two"} {
			if n, err := b.Read(buf); err != nil || string(buf[:n]) != want {
				t.Errorf("Read = %q, %v; want %q", buf[:n], err, want)
			}
		}
		if _, err := b.Read(buf); err != io.EOF {
			t.Errorf("Read = %v, want io.EOF", err)
		}
		b.Close()
	})
}

func TestCloseStopsTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Datagrams delayed by an hour, a held datagram and a read deadline are
		// all pending when the link closes; the bubble must still finish without
		// waiting, and nothing may be delivered afterwards.
		a, b := Pipe(Impairment{Delay: time.Hour}, Impairment{Reorder: 1, Seed: 1})
		a.Write([]byte("slow"))
		a.Write([]byte("slow"))
		b.Write([]byte("held"))
		a.SetReadDeadline(time.Now().Add(time.Hour))
		start := time.Now()
		a.Close()
		b.Close()
		synctest.Wait()
		if time.Since(start) != 0 {
			t.Errorf("virtual time advanced by %v", time.Since(start))
		}
		sa, sb := a.Stats(), b.Stats()
		if sa.DroppedClosed != 2 || sb.DroppedClosed != 1 || sa.Delivered+sb.Delivered != 0 {
			t.Errorf("stats after close: a→b %+v, b→a %+v", sa, sb)
		}
		checkBalance(t, sa, 0)
		checkBalance(t, sb, 0)
	})
}

func TestConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		imp := Impairment{Loss: 0.1, Duplicate: 0.1, Reorder: 0.1, Delay: time.Millisecond, Seed: 5}
		a, b := Pipe(imp, imp)
		var wg sync.WaitGroup
		for _, c := range []*Conn{a, b} {
			wg.Go(func() {
				for i := range 200 {
					c.Write(numbered(i, 32))
					if i%10 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			})
			wg.Go(func() {
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if n != 32 || !bytes.Equal(buf[4:n], make([]byte, 28)) {
						t.Errorf("Read got %x", buf[:n])
					}
				}
			})
		}
		time.Sleep(time.Second)
		a.Close()
		b.Close()
		wg.Wait()
		checkBalance(t, a.Stats(), 0)
		checkBalance(t, b.Stats(), 0)
	})
}
