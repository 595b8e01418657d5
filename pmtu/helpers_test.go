package pmtu

import (
	"testing"
	"time"
)

// t0 is the start of virtual time in the tests.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// A simPath is a simulated network path for a Search: datagrams up to mtu get
// through after rtt, larger ones are dropped, with a PTB reporting mtu when
// icmp is set. lose, if set, drops the n-th probe (from 0) at random.
type simPath struct {
	mtu  MTU
	icmp bool
	rtt  time.Duration
	lose func(n int) bool
}

// simResult counts what a simulated search did.
type simResult struct {
	probes, lost, ptbs int
	acked              MTU // the largest probe acknowledged
	elapsed            time.Duration
	states             []State // every state the search went through, in order
}

func (r *simResult) note(s State) {
	if len(r.states) == 0 || r.states[len(r.states)-1] != s {
		r.states = append(r.states, s)
	}
}

func (r *simResult) visited(s State) bool {
	for _, v := range r.states {
		if v == s {
			return true
		}
	}
	return false
}

// step sends the probe due at *now on p, if any, and delivers its outcome,
// or else advances *now to the deadline. It reports false when nothing is
// left to do.
func (p simPath) step(s *Search, now *time.Time, r *simResult) bool {
	size, id, ok := s.NextProbe(*now)
	r.note(s.State())
	if !ok {
		d := s.Deadline()
		if d.IsZero() {
			return false
		}
		if d.After(*now) {
			*now = d
		}
		s.Tick(*now)
		r.note(s.State())
		return true
	}
	n := r.probes
	r.probes++
	switch {
	case size <= p.mtu && (p.lose == nil || !p.lose(n)):
		*now = now.Add(p.rtt)
		r.acked = max(r.acked, size)
		s.ProbeAcked(id, *now)
	case size > p.mtu && p.icmp:
		*now = now.Add(p.rtt / 2)
		r.ptbs++
		s.PacketTooBig(p.mtu, *now)
	default:
		r.lost++
		*now = s.Deadline()
		s.Tick(*now)
	}
	r.note(s.State())
	return true
}

// search runs s on p from *now until the search completes, or fails the test
// after limit probes.
func (p simPath) search(t *testing.T, s *Search, now *time.Time, limit int) simResult {
	t.Helper()
	var r simResult
	start := *now
	r.note(s.State())
	for r.probes <= limit {
		if s.State() == SearchComplete && !s.inFlight {
			break
		}
		if !p.step(s, now, &r) {
			t.Fatalf("search stopped in %v at PMTU %d", s.State(), s.PMTU())
		}
	}
	if s.State() != SearchComplete {
		t.Fatalf("no SEARCH_COMPLETE after %d probes: %v, PMTU %d", r.probes, s.State(), s.PMTU())
	}
	r.elapsed = now.Sub(start)
	return r
}

// started returns a new Search for cfg that has started probing at t0.
func started(cfg Config) *Search {
	s := New(cfg, t0)
	s.Start(t0)
	return s
}

// A driver steps a Search through a scripted test in virtual time.
type driver struct {
	t    *testing.T
	s    *Search
	now  time.Time
	id   uint64 // the last probe sent
	size MTU    // its size
}

func newDriver(t *testing.T, cfg Config) *driver {
	return &driver{t: t, s: New(cfg, t0), now: t0}
}

// send takes the probe due now, failing the test if there is none, and
// returns its size.
func (d *driver) send() MTU {
	d.t.Helper()
	size, id, ok := d.s.NextProbe(d.now)
	if !ok {
		d.t.Fatalf("no probe due in %v (PMTU %d)", d.s.State(), d.s.PMTU())
	}
	d.id, d.size = id, size
	return size
}

// sendWant takes the probe due now and checks its size.
func (d *driver) sendWant(want MTU) {
	d.t.Helper()
	if got := d.send(); got != want {
		d.t.Fatalf("probe of %d bytes in %v, want %d", got, d.s.State(), want)
	}
}

// noProbe checks that no probe is due now.
func (d *driver) noProbe() {
	d.t.Helper()
	if size, _, ok := d.s.NextProbe(d.now); ok {
		d.t.Fatalf("probe of %d bytes due in %v, want none", size, d.s.State())
	}
}

// ack acknowledges the last probe 10 ms later.
func (d *driver) ack() {
	d.now = d.now.Add(10 * time.Millisecond)
	d.s.ProbeAcked(d.id, d.now)
}

// timeout advances to the deadline and runs the timers.
func (d *driver) timeout() {
	d.t.Helper()
	dl := d.s.Deadline()
	if dl.IsZero() {
		d.t.Fatalf("no deadline in %v", d.s.State())
	}
	if dl.After(d.now) {
		d.now = dl
	}
	d.s.Tick(d.now)
}

// loseN sends n probes of the same size and lets each time out.
func (d *driver) loseN(size MTU, n int) {
	d.t.Helper()
	for range n {
		d.sendWant(size)
		d.timeout()
	}
}

// want checks the state and the PMTU.
func (d *driver) want(st State, pmtu MTU) {
	d.t.Helper()
	if d.s.State() != st || d.s.PMTU() != pmtu {
		d.t.Fatalf("%v with PMTU %d, want %v with PMTU %d", d.s.State(), d.s.PMTU(), st, pmtu)
	}
}

// complete runs the search on a path of this MTU, without loss, until it
// completes.
func (d *driver) complete(mtu MTU) {
	d.t.Helper()
	simPath{mtu: mtu, rtt: 10 * time.Millisecond}.search(d.t, d.s, &d.now, 100)
}
