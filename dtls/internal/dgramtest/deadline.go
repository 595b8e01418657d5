package dgramtest

import (
	"sync"
	"time"
)

// A deadline is a channel that is closed once a settable point in time has
// passed. Moving the deadline replaces the channel if it had already expired;
// a timer callback that fires for a deadline since moved does nothing.
type deadline struct {
	mu      sync.Mutex
	at      time.Time // zero: none
	expired chan struct{}
	timer   *time.Timer
	gen     uint64
}

func newDeadline() *deadline {
	return &deadline{expired: make(chan struct{})}
}

// set moves the deadline to t; the zero Time means no deadline.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if isClosed(d.expired) {
		d.expired = make(chan struct{})
	}
	d.at = t
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.expired)
		return
	}
	gen, ch := d.gen, d.expired
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.gen == gen {
			close(ch)
		}
	})
}

// stop cancels the deadline's timer, leaving the deadline as it is otherwise.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// wait returns a channel that is closed when the current deadline passes, and
// whether it has passed already. The clock is read as well as the channel, so that
// a deadline of exactly now counts as passed even if its timer callback has not
// run yet.
func (d *deadline) wait() (expired <-chan struct{}, passed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	passed = isClosed(d.expired) || !d.at.IsZero() && !time.Now().Before(d.at)
	return d.expired, passed
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
