package transport

import (
	"sync"
	"time"
)

// Probe pacing for a listener: every association probes its own path, and
// a server that many clients join at once (a restart, a flash crowd) would
// otherwise put a burst of full-size probes on the wire at the moment it
// is busiest, crowding out the data the probes are meant to protect.

// Defaults of a listener's probe pacer: probes per second, and the burst
// allowed above that rate.
const (
	defaultProbeRate  = 500
	defaultProbeBurst = 50
)

// firstProbeSpread is the longest a new association waits before its
// first probe, chosen at random, so that associations that start together
// do not probe together.
const firstProbeSpread = 250 * time.Millisecond

// A pacer is a token bucket shared by the probers of a listener's
// associations, from which a prober books the token for its next probe:
// the token is its own from then on, at the time book returns. Probers
// that wait are thus served in turn, each woken once, however many wait.
// It is safe for concurrent use.
type pacer struct {
	mu     sync.Mutex
	every  time.Duration // one token per interval
	burst  int
	tokens float64 // below zero: tokens booked ahead of their time
	last   time.Time
}

func newPacer(perSecond, burst int) *pacer {
	return &pacer{every: time.Second / time.Duration(perSecond), burst: burst, tokens: float64(burst)}
}

// book takes a token for a probe and returns when it may be used: now, or
// once the tokens booked before it have been earned. What is booked is
// bounded by the probers, each of which books one token at a time.
func (p *pacer) book(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.last.IsZero() && now.After(p.last) {
		p.tokens = min(float64(p.burst), p.tokens+float64(now.Sub(p.last))/float64(p.every))
	}
	p.last = now
	p.tokens--
	if p.tokens >= 0 {
		return now
	}
	return now.Add(time.Duration(-p.tokens * float64(p.every)))
}
