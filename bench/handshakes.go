package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
)

// stallThreshold is the handshake time counted as a stall: on the loopback
// a handshake takes milliseconds, so one that takes this long waited for a
// retransmission timer (1 s at first, RFC 6347 §4.2.4.1).
const stallThreshold = 500 * time.Millisecond

// A handshakeTally counts what the clients of a handshake phase saw.
type handshakeTally struct {
	ok, failed, stalls atomic.Int64
	last               atomic.Int64 // when the last handshake completed, in ns since the phase started
	firstErr           atomic.Pointer[error]
}

// handshakes runs workers clients of im at once against one server for
// the phase's length. Each client loops: it opens a new socket, completes a
// handshake of s, closes (sending close_notify), and starts over; the server
// reads each association until its end. It records the handshakes per
// second until the last one completed, the CPU the process used over that
// time (in cores), the stalls, the clients' failed handshakes, and the
// errors of server-side handshakes (which, with pion, include handshakes
// the client completed and closed before the server's side returned).
func (b *bench) handshakes(im impl, s suite, workers, round int) error {
	sv, err := startServer(im, s, drain)
	if err != nil {
		return err
	}
	defer sv.close()
	if err := checkSuite(im, sv.addr(), s); err != nil {
		return err
	}
	var t handshakeTally
	cpu0, cpuOK := processCPU()
	start := time.Now()
	deadline := start.Add(b.opts.phase)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { shortLivedClients(im, sv.addr(), s, start, deadline, &t) })
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, _ := processCPU()
	if t.ok.Load() == 0 {
		return fmt.Errorf("no handshake completed: %w", *t.firstErr.Load())
	}
	elapsed := time.Duration(t.last.Load())
	b.res.add(figHandshakes(s, workers), im, round, float64(t.ok.Load())/elapsed.Seconds())
	if cpuOK {
		b.res.add(figHandshakeCPU(s, workers), im, round, (cpu1-cpu0).Seconds()/wall.Seconds())
	}
	b.res.addCount(figStalls(s, workers), im, round, float64(t.stalls.Load()))
	b.res.addCount(figFailed(s, workers), im, round, float64(t.failed.Load()))
	b.res.addCount(figServerErrors(s, workers), im, round, float64(sv.failed.Load()))
	return nil
}

// shortLivedClients is one client of a handshake phase: at least once, and
// until deadline, it opens a client of im to addr, completes a handshake and
// closes it, counting in t.
func shortLivedClients(im impl, addr net.Addr, s suite, start, deadline time.Time, t *handshakeTally) {
	for first := true; first || time.Now().Before(deadline); first = false {
		begin := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		c, err := im.dial(ctx, addr, s)
		cancel()
		if err != nil {
			t.failed.Add(1)
			t.firstErr.CompareAndSwap(nil, &err)
			continue
		}
		c.Close()
		now := time.Now()
		if now.Sub(begin) >= stallThreshold {
			t.stalls.Add(1)
		}
		t.ok.Add(1)
		for d := int64(now.Sub(start)); ; {
			last := t.last.Load()
			if d <= last || t.last.CompareAndSwap(last, d) {
				break
			}
		}
	}
}

// checkSuite completes one handshake of s with the server at addr and
// checks that it negotiated im's version and s's cipher suite in it, so
// that the implementations compared do the same work.
func checkSuite(im impl, addr net.Addr, s suite) error {
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	c, err := im.dial(ctx, addr, s)
	if err != nil {
		return err
	}
	defer c.Close()
	v, got := im.negotiated(c)
	if want := s.idFor(im.version()); v != im.version() || got != want {
		return fmt.Errorf("negotiated %s in version %#04x, want %s in %#04x",
			dtls.CipherSuiteName(got), v, dtls.CipherSuiteName(want), im.version())
	}
	return nil
}
