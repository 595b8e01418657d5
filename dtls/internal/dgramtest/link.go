package dgramtest

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// queueLen bounds the datagrams of one direction that are in flight or waiting to
// be read. A datagram sent while the bound is reached is dropped, as a full socket
// receive buffer would drop it.
const queueLen = 1024

// holdLimit bounds how long a datagram held back for reordering waits for a later
// datagram to overtake it. Without it the last datagram of a burst could be held
// forever; after holdLimit it is sent on, not reordered.
const holdLimit = 50 * time.Millisecond

// Impairment describes what one direction of a link does to the datagrams it
// carries. The zero value is a perfect link: no loss, no delay, no size limit.
// Whatever the impairment, at most 1024 datagrams per direction are in flight or
// waiting to be read; more are dropped. A datagram held back for reordering that
// no later datagram overtakes within 50 ms is sent on anyway.
type Impairment struct {
	Loss      float64       // probability a datagram is dropped
	Duplicate float64       // probability a datagram is delivered twice
	Reorder   float64       // probability a datagram is held back and delivered after the next one
	MaxSize   int           // datagrams larger than this are dropped (0: no limit)
	Delay     time.Duration // one-way latency
	Seed      uint64        // for math/rand/v2 PCG; deterministic
}

// Stats counts what one direction of a link did with the datagrams written to it.
// A duplicated datagram travels on as two copies, so once nothing is in flight
//
//	Sent + Duplicated == Delivered + DroppedLoss + DroppedTooBig + DroppedOverflow + DroppedClosed
type Stats struct {
	Sent            int // datagrams written
	Delivered       int // datagrams placed in the receiving end's queue, duplicates included
	Duplicated      int // datagrams sent twice
	Reordered       int // datagrams held back and delivered after a later one
	DroppedLoss     int // dropped at random (Impairment.Loss)
	DroppedTooBig   int // dropped for exceeding Impairment.MaxSize
	DroppedOverflow int // dropped because queueLen datagrams were in flight or queued
	DroppedClosed   int // written to, or in flight on, a link whose end was closed
}

// A link is one direction of a Pipe. Datagrams in flight wait in pending, in the
// order they will arrive, behind a single timer; the receiving end reads rx.
type link struct {
	rx chan []byte // the receiving end's queue; written only under mu

	mu        sync.Mutex
	imp       Impairment
	rng       *rand.Rand
	closed    bool
	pending   []arrival   // in flight, by arrival time
	timer     *time.Timer // fires when pending[0] is due; nil until first needed
	armed     bool
	held      []byte // held back for reordering, or nil
	heldDup   bool   // held is to be delivered twice
	holdTimer *time.Timer
	holdGen   uint64 // invalidates a holdTimer callback that lost the race with send
	stats     Stats
}

type arrival struct {
	at   time.Time
	data []byte
}

func newLink(imp Impairment) *link {
	l := &link{rx: make(chan []byte, queueLen)}
	l.setImpairment(imp)
	return l
}

func (l *link) setImpairment(imp Impairment) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.imp = imp
	// The second PCG word is fixed so that Seed alone selects the stream.
	l.rng = rand.New(rand.NewPCG(imp.Seed, 0x9e3779b97f4a7c15))
}

// chance reports whether an event of probability p happens. It draws from the
// generator only when p > 0, so a link with no impairment consumes no randomness.
func (l *link) chance(p float64) bool {
	return p > 0 && l.rng.Float64() < p
}

// send carries a copy of p toward the receiving end, applying the impairment.
func (l *link) send(p []byte) {
	d := append([]byte{}, p...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Sent++
	switch {
	case l.closed:
		l.stats.DroppedClosed++
		return
	case l.imp.MaxSize > 0 && len(d) > l.imp.MaxSize:
		l.stats.DroppedTooBig++
		return
	case l.chance(l.imp.Loss):
		l.stats.DroppedLoss++
		return
	case l.inFlight() >= queueLen:
		l.stats.DroppedOverflow++
		return
	}
	dup := l.chance(l.imp.Duplicate)
	if l.held == nil && l.chance(l.imp.Reorder) {
		l.hold(d, dup)
		return
	}
	l.transmit(d, dup)
	if l.held != nil {
		l.stats.Reordered++
		l.release()
	}
}

// inFlight is the number of datagrams in flight or queued; l.mu is held.
func (l *link) inFlight() int {
	n := len(l.pending) + len(l.rx)
	if l.held != nil {
		n++
	}
	return n
}

// hold keeps d back until the next datagram overtakes it or holdLimit passes.
func (l *link) hold(d []byte, dup bool) {
	l.held, l.heldDup = d, dup
	l.holdGen++
	gen := l.holdGen
	l.holdTimer = time.AfterFunc(holdLimit, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.closed && l.held != nil && l.holdGen == gen {
			l.release()
		}
	})
}

// release sends the held datagram on; l.mu is held and l.held is not nil.
func (l *link) release() {
	l.holdTimer.Stop()
	l.holdTimer = nil
	l.holdGen++
	d, dup := l.held, l.heldDup
	l.held, l.heldDup = nil, false
	l.transmit(d, dup)
}

// transmit delivers d (twice if dup) now, or after the link's delay.
func (l *link) transmit(d []byte, dup bool) {
	n := 1
	if dup {
		l.stats.Duplicated++
		n = 2
	}
	for range n {
		if l.imp.Delay <= 0 {
			l.deliver(d)
			continue
		}
		l.pending = append(l.pending, arrival{at: time.Now().Add(l.imp.Delay), data: d})
		if !l.armed {
			l.arm(l.imp.Delay)
		}
	}
}

func (l *link) arm(d time.Duration) {
	l.armed = true
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.fire)
		return
	}
	l.timer.Reset(d)
}

// fire delivers the datagrams that are due and re-arms the timer for the rest.
func (l *link) fire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = false
	if l.closed {
		return
	}
	now := time.Now()
	i := 0
	for ; i < len(l.pending) && !l.pending[i].at.After(now); i++ {
		l.deliver(l.pending[i].data)
	}
	l.pending = slices.Delete(l.pending, 0, i)
	if len(l.pending) > 0 {
		l.arm(l.pending[0].at.Sub(now))
	}
}

// deliver places d in the receiving end's queue; l.mu is held.
func (l *link) deliver(d []byte) {
	select {
	case l.rx <- d:
		l.stats.Delivered++
	default:
		l.stats.DroppedOverflow++
	}
}

// close stops the link: datagrams in flight are dropped and the timers stopped, so
// that no goroutine runs on the link's behalf afterwards. Datagrams already in rx
// stay there to be read.
func (l *link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.held != nil {
		l.holdTimer.Stop()
		l.stats.DroppedClosed++
		if l.heldDup {
			l.stats.DroppedClosed++
		}
		l.held, l.heldDup = nil, false
	}
	l.stats.DroppedClosed += len(l.pending)
	l.pending = nil
}

func (l *link) snapshot() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}
