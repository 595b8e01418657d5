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

// firstProbeSpread is the longest a new association of a listener waits
// before its first probe, chosen at random, so that associations that start
// together do not probe together.
const firstProbeSpread = 250 * time.Millisecond

// A pacer is a token bucket shared by the probers of a listener's
// associations. It is safe for concurrent use.
type pacer struct {
	mu     sync.Mutex
	every  time.Duration // one token per interval
	burst  int
	tokens float64
	last   time.Time
}

func newPacer(perSecond, burst int) *pacer {
	return &pacer{every: time.Second / time.Duration(perSecond), burst: burst, tokens: float64(burst)}
}

// reserve takes a token for a probe at now and returns 0, or returns how
// long to wait for one, taking nothing.
func (p *pacer) reserve(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.last.IsZero() {
		p.tokens = min(float64(p.burst), p.tokens+float64(now.Sub(p.last))/float64(p.every))
	}
	p.last = now
	if p.tokens >= 1 {
		p.tokens--
		return 0
	}
	return time.Duration((1 - p.tokens) * float64(p.every))
}
