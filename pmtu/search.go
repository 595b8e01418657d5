package pmtu

import (
	"slices"
	"time"
)

// A Search is the path-MTU state of one path: the DPLPMTUD state machine of
// RFC 8899 Section 5.2, the search order of Section 5.3 and the black-hole
// detection of Section 4.3. It is not safe for concurrent use.
//
// The caller drives it. When NextProbe returns a size, the caller sends a
// probe of exactly that IP size and later reports it with ProbeAcked or
// ProbeLost, or lets Tick declare it lost at the probe timer. Validated ICMP,
// local errors and what the caller learns from its own traffic come in
// through PacketTooBig, MessageTooLong, SizeAcked and SizeLost. PMTU and
// MaxPayload give the size to use, and Deadline says when Tick is due.
type Search struct {
	cfg     Config
	state   State
	started bool // Start was called: the peer can answer probes
	pmtu    MTU  // PLPMTU as last reported
	changed bool // pmtu changed since Changed was last called
	last    time.Time

	capMTU   MTU // application cap, 0 for none
	fixed    MTU // fixed size, 0 for none
	localMax MTU // largest size the local stack accepts, 0 for unknown

	// DISABLED: the estimate is the smallest of est, ptb and ceil (see
	// estimate). Start hands it to the search and clears them.
	est   MTU // Config.Initial, or Config.Max once the raise timer expired
	ptb   MTU // the smallest MTU a validated PTB reported, 0 for none
	ceil  MTU // the rung the handshake backed off to, 0 for none
	acked MTU // the largest size acknowledged so far, 0 for none

	r  searchRange // the probing states: what is known about sizes
	bh int         // losses at the current size (black-hole detection)

	probe    probe     // the probe in flight, if inFlight
	inFlight bool      // a probe is in flight
	late     [4]probe  // recently lost probes, whose acks still count
	nextID   uint64    // the next probe ID; IDs are never reused
	probeDue bool      // SEARCH_COMPLETE: a confirmation probe is due
	raiseAt  time.Time // when the raise timer expires, if not zero
	confirm  time.Time // SEARCH_COMPLETE: when the confirmation timer expires
}

// A probe is a probe packet that was handed out by NextProbe.
type probe struct {
	id      uint64
	size    MTU
	sentAt  time.Time
	confirm bool // a confirmation probe of SEARCH_COMPLETE
}

// New returns the state of a path described by cfg, in the Disabled state:
// its size is the initial estimate, cfg.Initial (cfg.Max if zero), until
// Start begins probing. The handshake runs in this state; a connection whose
// peer cannot answer probes stays in it. An Initial below Max starts the
// raise timer, after which the estimate returns to Max.
func New(cfg Config, now time.Time) *Search {
	cfg = cfg.normalize()
	s := &Search{cfg: cfg, last: now, est: cfg.Initial, nextID: 1}
	if cfg.Initial < cfg.Max {
		s.raiseAt = now.Add(cfg.RaiseTimeout)
	}
	s.pmtu = s.current()
	return s
}

// Config returns the configuration in use, with every default filled in.
func (s *Search) Config() Config {
	c := s.cfg
	c.Plateaus = slices.Clone(c.Plateaus)
	return c
}

// ProbeTimeout returns the configured PROBE_TIMER (Config.ProbeTimeout,
// with its default filled in), without the copy Config makes.
func (s *Search) ProbeTimeout() time.Duration { return s.cfg.ProbeTimeout }

// State returns the state of the RFC 8899 Section 5.2 state machine.
func (s *Search) State() State { return s.state }

// PMTU returns the path MTU to use now: the PLPMTU of RFC 8899 Section 2,
// within [Config.Min, the cap]. In the probing states it is a size that has
// been confirmed (or BASE_PLPMTU and MIN_PLPMTU in BASE and ERROR, as RFC
// 8899 Section 5.2 prescribes); in Disabled it is the estimate.
func (s *Search) PMTU() MTU { return s.pmtu }

// MaxPayload returns the largest UDP payload minus overhead that fits in
// PMTU: the maximum packet size of RFC 8899 Section 2 for a packetization
// layer that adds overhead bytes to each datagram. It is never negative.
func (s *Search) MaxPayload(overhead int) int {
	return max(0, s.cfg.Family.Payload(s.pmtu)-overhead)
}

// Fixed returns the size SetFixed fixed, within [Config.Min, the cap], or 0
// when the size is not fixed.
func (s *Search) Fixed() MTU { return s.fixed }

// Cap returns the cap SetCap set, at least Config.Min, or 0 when there is
// none.
func (s *Search) Cap() MTU { return s.capMTU }

// Learned returns the size worth remembering for the next association to
// this destination (see Cache): the confirmed PLPMTU in SearchComplete, or,
// before Start, the estimate as a validated PTB lowered it (RFC 1191 Section
// 5, RFC 8201 Section 5.2). It returns false when nothing was learned: in
// the other states, when the Disabled estimate was lowered by nothing but
// the backoff ladder or the local stack, and while the size is fixed, since
// then the search takes in nothing.
func (s *Search) Learned() (MTU, bool) {
	switch {
	case s.fixed != 0:
		return 0, false
	case s.state == SearchComplete:
		return s.r.lo, true
	case s.state == Disabled && !s.started && s.ptb != 0:
		return s.ptb, true
	}
	return 0, false
}

// Changed reports whether PMTU has changed since Changed was last called.
func (s *Search) Changed() bool {
	c := s.changed
	s.changed = false
	return c
}

// Start begins probing: the packetization layer indicates connectivity to a
// peer that answers probes (RFC 8899 Section 5.2, leaving DISABLED). What
// the handshake learnt carries over, as the package documentation's
// "Handshake sizes" describes: PMTU is not below the largest size
// acknowledged through SizeAcked (BASE_PLPMTU may be above it) until a PTB,
// a local refusal or a black hole lowers it, and not above the Disabled
// estimate until a larger size is acknowledged. Start does nothing if
// probing has started and connectivity was not lost.
func (s *Search) Start(now time.Time) {
	s.last = now
	if s.started && s.state != Disabled {
		return
	}
	s.started = true
	s.restart(now)
	s.sync(now)
}

// NextProbe returns the IP size of the probe to send now, and its ID for
// ProbeAcked and ProbeLost. It returns ok false when no probe is due: one is
// in flight (RFC 8899 allows one at a time here), the search is complete and
// the confirmation timer has not expired, the size is fixed, or probing has
// not started. The probe timer starts at now, so the caller must send the
// probe when it is returned. NextProbe runs Tick first.
func (s *Search) NextProbe(now time.Time) (size MTU, id uint64, ok bool) {
	s.tick(now)
	size = s.probeSize()
	if size == 0 {
		s.sync(now)
		return 0, 0, false
	}
	s.probe = probe{id: s.nextID, size: size, sentAt: now, confirm: s.state == SearchComplete}
	s.nextID++
	s.inFlight = true
	if size == s.r.hint {
		s.r.hint = 0
	}
	s.probeDue = false
	s.sync(now)
	return size, s.probe.id, true
}

// ProbeAcked reports that the peer acknowledged the probe with this ID (RFC
// 8899 Section 4.1): its size gets through. An ID that NextProbe did not
// return since the last Reset is ignored. A probe that was already declared
// lost still counts, as a size that got through.
func (s *Search) ProbeAcked(id uint64, now time.Time) {
	s.last = now
	if s.inFlight && id == s.probe.id {
		s.inFlight = false
		s.acknowledged(s.probe.size, now)
	} else if p, ok := s.takeLate(id); ok {
		s.acknowledged(p.size, now)
	}
	s.sync(now)
}

// ProbeLost reports that the probe with this ID was lost, for a caller that
// knows before the probe timer expires (for example, the send failed). An
// unknown ID is ignored.
func (s *Search) ProbeLost(id uint64, now time.Time) {
	s.last = now
	if s.inFlight && id == s.probe.id {
		s.lost(now)
	}
	s.sync(now)
}

// Deadline returns when Tick (or NextProbe) should be called next: the probe
// timer, the raise timer or the confirmation timer, whichever expires first.
// It returns a time not after the latest call's time when a probe is due at
// once, and the zero Time when no timer runs.
func (s *Search) Deadline() time.Time {
	if s.fixed != 0 {
		return time.Time{}
	}
	if s.inFlight {
		return s.probe.sentAt.Add(s.cfg.ProbeTimeout)
	}
	if s.probeSize() != 0 {
		return s.last
	}
	var d time.Time
	if s.state == SearchComplete {
		d = s.confirm
	}
	if !s.raiseAt.IsZero() && (d.IsZero() || s.raiseAt.Before(d)) {
		d = s.raiseAt
	}
	return d
}

// Tick runs the timers that have expired at now: the probe timer (the probe
// in flight is lost), the raise timer (SEARCH_COMPLETE searches again, and
// DISABLED forgets what ICMP taught it) and the confirmation timer (a probe
// of the current size becomes due), as RFC 8899 Section 5.1.1 describes.
func (s *Search) Tick(now time.Time) {
	s.tick(now)
	s.sync(now)
}

func (s *Search) tick(now time.Time) {
	s.last = now
	if s.fixed != 0 {
		return
	}
	if s.inFlight && !now.Before(s.probe.sentAt.Add(s.cfg.ProbeTimeout)) {
		s.lost(now)
	}
	if !s.raiseAt.IsZero() && !now.Before(s.raiseAt) {
		s.raise(now)
	}
	if s.state == SearchComplete && !s.probeDue && !now.Before(s.confirm) {
		s.probeDue = true
	}
}

// current computes the PLPMTU from the state and the limits.
func (s *Search) current() MTU {
	if s.fixed != 0 {
		return s.fixed
	}
	var v MTU
	switch s.state {
	case Disabled:
		v = s.estimate()
		if s.started {
			v = s.cfg.Min // connectivity was lost
		}
	case Base:
		v = s.base()
	case Error:
		v = s.cfg.Min
	default:
		v = s.r.lo
	}
	return clamp(v, s.cfg.Min, s.limit())
}

// sync recomputes the PLPMTU and notes a change.
func (s *Search) sync(now time.Time) {
	s.last = now
	if v := s.current(); v != s.pmtu {
		s.pmtu = v
		s.changed = true
	}
}

// pathEstimate is what the Disabled state believes the path carries: the
// initial estimate, lowered by validated PTBs and by the backoff ladder, not
// below Config.Min, and not yet reduced to the cap or the local limit, which
// say nothing about the path.
func (s *Search) pathEstimate() MTU {
	e := s.est
	if s.ptb != 0 {
		e = min(e, s.ptb)
	}
	if s.ceil != 0 {
		e = min(e, s.ceil)
	}
	return max(e, s.cfg.Min)
}

// estimate is the size of the Disabled state before Start: pathEstimate
// within the limits.
func (s *Search) estimate() MTU {
	return min(s.pathEstimate(), s.limit())
}

// ceiling is the largest size the configuration and the application allow:
// MAX_PLPMTU reduced by the application (RFC 8899 Section 5.3.1).
func (s *Search) ceiling() MTU {
	m := s.cfg.Max
	if s.capMTU != 0 {
		m = min(m, s.capMTU)
	}
	return m
}

// limit is the ceiling further reduced to what the local stack accepts.
func (s *Search) limit() MTU {
	m := s.ceiling()
	if s.localMax != 0 {
		m = min(m, s.localMax)
	}
	return max(m, s.cfg.Min)
}

// base is BASE_PLPMTU within the limit.
func (s *Search) base() MTU {
	return min(s.cfg.Base, s.limit())
}
