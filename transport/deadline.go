package transport

import (
	"sync"
	"time"
)

// A deadline is a point in time that blocked reads wait for without a
// goroutine of their own: wait returns a channel that a timer closes when
// the deadline passes. Moving the deadline replaces an expired channel, and
// a timer callback that fires for a deadline that has since moved does
// nothing, thanks to the generation count.
type deadline struct {
	mu      sync.Mutex
	at      time.Time // zero: no deadline
	expired chan struct{}
	timer   *time.Timer
	gen     uint64
}

// set moves the deadline to t; the zero Time removes it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
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

// wait returns a channel that is closed when the current deadline passes,
// and whether it has passed already. It reads the clock as well, so that a
// deadline whose timer has not run yet still counts once it is in the past.
func (d *deadline) wait() (expired <-chan struct{}, passed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.expired == nil {
		d.expired = make(chan struct{})
	}
	passed = isClosed(d.expired) || !d.at.IsZero() && !time.Now().Before(d.at)
	return d.expired, passed
}

// stop releases the timer, if any.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
