// Package deadline provides read and write deadlines for in-process
// connections without a goroutine per deadline, in the manner of the net
// package's pollers: a blocked operation selects on a channel that a
// runtime timer closes.
package deadline

import (
	"sync"
	"time"
)

// A Deadline is a settable point in time that blocked operations wait for:
// Wait returns a channel that a timer closes when the deadline passes.
// Moving the deadline replaces an expired channel, and a timer that fires
// for a deadline that has since moved does nothing, thanks to a generation
// count. The zero value has no deadline and is ready to use. It works under
// testing/synctest, whose fake clock drives its timers.
type Deadline struct {
	mu      sync.Mutex
	at      time.Time // zero: no deadline
	expired chan struct{}
	timer   *time.Timer
	gen     uint64
}

// Set moves the deadline to t; the zero Time removes it.
func (d *Deadline) Set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
	if d.expired == nil || isClosed(d.expired) {
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

// Wait returns a channel that is closed when the current deadline passes,
// and whether it has passed already. It reads the clock as well, so that a
// deadline whose timer has not run yet still counts once it is in the past.
func (d *Deadline) Wait() (expired <-chan struct{}, passed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.expired == nil {
		d.expired = make(chan struct{})
	}
	passed = isClosed(d.expired) || !d.at.IsZero() && !time.Now().Before(d.at)
	return d.expired, passed
}

// Stop releases the timer, if any, leaving the deadline otherwise as it is.
func (d *Deadline) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
}

func (d *Deadline) stopLocked() {
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// isClosed reports whether c is closed, without blocking.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
