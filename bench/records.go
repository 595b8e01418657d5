package main

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

const (
	// burstLen is how many records the one-way sender hands to
	// impl.writeBurst at once.
	burstLen = 32
	// quietTime is how long the receiver of a one-way phase must have
	// received nothing, once the sender stopped, for the phase to end.
	quietTime = 200 * time.Millisecond
	// drainLimit bounds the wait for the receiver after the sender stopped.
	drainLimit = 3 * time.Second
	// aliveRecords is how many records, at most, stillReceives writes.
	aliveRecords = 20
)

// A receiver counts the records of one size that the server side of a
// one-way phase reads.
type receiver struct {
	size     int
	base     time.Time     // set before the server starts
	ready    chan net.Conn // the association, once its reader runs
	received atomic.Int64
	last     atomic.Int64 // when the last record arrived, in ns since base
}

// run reads c until an error, counting records.
func (r *receiver) run(c net.Conn) {
	r.ready <- c
	buf := make([]byte, 2048)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if n == r.size {
			r.received.Add(1)
			r.last.Store(int64(time.Since(r.base)))
		}
	}
}

// oneWay measures records of size bytes sent one way, from a client to
// the server's association, for the phase's length: the sender writes as
// fast as it can through im.writeBurst, one reader counts what arrives. It
// records the records received per second until the last arrived, what was
// sent and lost, the kernel's UDP receive-buffer errors over the phase (for
// the whole network namespace), the records the library itself dropped,
// and whether the association still carried records after the phase.
func (b *bench) oneWay(im impl, size, round int) error {
	rc := &receiver{size: size, base: time.Now(), ready: make(chan net.Conn, 1)}
	sv, err := startServer(im, suiteECDSA, rc.run)
	if err != nil {
		return err
	}
	defer sv.close()
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	c, server, err := connect(ctx, im, sv, rc.ready)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := im.awaitPayload(ctx, c, size); err != nil {
		return err
	}
	kernel0, kernelOK := udpRcvbufErrors()
	start := time.Now()
	sent, refused, err := send(im, c, size, start.Add(b.opts.phase))
	if err != nil {
		return err
	}
	waitQuiet(rc, sent)
	kernel1, _ := udpRcvbufErrors()
	got, last := rc.received.Load(), time.Duration(rc.last.Load())
	if got == 0 {
		return errors.New("no record arrived")
	}
	b.res.add(figRecords(size), im, round, float64(got)/(last-start.Sub(rc.base)).Seconds())
	if !stillReceives(c, rc) {
		b.res.addCount(figStopped(size), im, round, 1)
	}
	b.res.addCount(figSent(size), im, round, float64(sent))
	b.res.addCount(figRefused(size), im, round, float64(refused))
	b.res.addCount(figLost(size), im, round, float64(sent-got))
	if kernelOK {
		b.res.addCount(figKernelDrops(size), im, round, float64(kernel1-kernel0))
	}
	if n, ok := im.libraryDrops(server); ok {
		b.res.addCount(figLibDrops(size), im, round, float64(n))
	}
	return nil
}

// send writes records of size bytes on c until deadline, burstLen at a
// time through im.writeBurst, and returns how many were sent and how many
// writes failed. Errors from which the socket may recover (the system's
// buffers were full) do not stop it.
func send(im impl, c net.Conn, size int, deadline time.Time) (sent, refused int64, err error) {
	msg := make([]byte, size)
	burst := make([][]byte, burstLen)
	for i := range burst {
		burst[i] = msg
	}
	for time.Now().Before(deadline) {
		n, err := im.writeBurst(c, burst)
		sent += int64(n)
		refused += int64(len(burst) - n)
		if errors.Is(err, net.ErrClosed) {
			return sent, refused, err
		}
	}
	return sent, refused, nil
}

// stillReceives reports whether the association of the client c still
// carries records once a one-way phase is over: it writes up to
// aliveRecords more, paced so that none is lost to a full buffer, and
// waits for one of them to arrive. An association that lost a long run of
// records may not: a DTLS 1.3 receiver reconstructs each record's sequence
// number from its low 16 bits (RFC 9147 §4.2.2), so after 2^15 records
// lost in a row it may fail to authenticate every later one.
func stillReceives(c net.Conn, rc *receiver) bool {
	before := rc.received.Load()
	msg := make([]byte, rc.size)
	for range aliveRecords {
		if rc.received.Load() > before {
			return true
		}
		c.Write(msg)
		time.Sleep(2 * time.Millisecond)
	}
	for limit := time.Now().Add(quietTime); time.Now().Before(limit); time.Sleep(5 * time.Millisecond) {
		if rc.received.Load() > before {
			return true
		}
	}
	return false
}

// waitQuiet waits until rc has received sent records, or has received
// nothing for quietTime, or drainLimit has passed.
func waitQuiet(rc *receiver, sent int64) {
	limit := time.Now().Add(drainLimit)
	prev, still := rc.received.Load(), time.Now()
	for time.Now().Before(limit) {
		time.Sleep(10 * time.Millisecond)
		n := rc.received.Load()
		switch {
		case n >= sent:
			return
		case n != prev:
			prev, still = n, time.Now()
		case time.Since(still) >= quietTime:
			return
		}
	}
}
