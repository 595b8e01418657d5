package main

import (
	"context"
	"net"
	"runtime"
)

// allocRecordSize is the size of the records whose allocations are counted.
const allocRecordSize = 1000

// allocWarmUp is how many handshakes run before those whose allocations
// are counted.
const allocWarmUp = 10

// allocs counts the heap allocations, and the bytes they took, of
// handshakes (for each suite) and of records, both ends together, from the
// runtime's counters around many of them; the server's accept loop of this
// benchmark is counted with them, a few allocations per handshake.
func (b *bench) allocs(im impl, round int) error {
	if im.secure() {
		for _, s := range suites {
			if err := b.handshakeAllocs(im, s, round); err != nil {
				return err
			}
		}
	}
	return b.recordAllocs(im, round)
}

// handshakeAllocs counts the allocations of opts.hsAllocs sequential
// handshakes of s, each client closing before the next starts.
func (b *bench) handshakeAllocs(im impl, s suite, round int) error {
	sv, err := startServer(im, s, drain)
	if err != nil {
		return err
	}
	defer sv.close()
	dial := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		defer cancel()
		c, err := im.dial(ctx, sv.addr(), s)
		if err != nil {
			return err
		}
		return c.Close()
	}
	// Warm up pools, caches and the server's receive buffers, which a
	// listener fills as it first needs them: what a server allocates once
	// is not a handshake's.
	for range allocWarmUp {
		if err := dial(); err != nil {
			return err
		}
	}
	m0 := memStats()
	for range b.opts.hsAllocs {
		if err := dial(); err != nil {
			return err
		}
	}
	m1 := memStats()
	n := float64(b.opts.hsAllocs)
	b.res.addAmount(figAllocsHS(s), im, round, float64(m1.Mallocs-m0.Mallocs)/n)
	b.res.addAmount(figBytesHS(s), im, round, float64(m1.TotalAlloc-m0.TotalAlloc)/n)
	return nil
}

// recordAllocs counts the allocations of opts.recordAllocs records of
// allocRecordSize bytes on one association, each written by the client and
// read by the server before the next is written, on one goroutine.
func (b *bench) recordAllocs(im impl, round int) error {
	ready, done := make(chan net.Conn, 1), make(chan struct{})
	sv, err := startServer(im, suiteECDSA, func(c net.Conn) { ready <- c; <-done })
	if err != nil {
		return err
	}
	defer sv.close()
	defer close(done) // before sv.close, which waits for the handler
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	c, server, err := connect(ctx, im, sv, ready)
	if err != nil {
		return err
	}
	defer c.Close()
	msg, buf := make([]byte, allocRecordSize), make([]byte, 2048)
	one := func() error {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		_, err := server.Read(buf)
		return err
	}
	for range 100 { // warm up pools
		if err := one(); err != nil {
			return err
		}
	}
	m0 := memStats()
	for range b.opts.recordAllocs {
		if err := one(); err != nil {
			return err
		}
	}
	m1 := memStats()
	n := float64(b.opts.recordAllocs)
	b.res.addAmount(figAllocsRecord, im, round, float64(m1.Mallocs-m0.Mallocs)/n)
	b.res.addAmount(figBytesRecord, im, round, float64(m1.TotalAlloc-m0.TotalAlloc)/n)
	return nil
}

// memStats returns the runtime's memory statistics after a collection.
func memStats() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
