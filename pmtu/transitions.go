package pmtu

import "time"

// This file holds the transitions of the RFC 8899 Section 5.2 state machine.

// restart leaves DISABLED for BASE (RFC 8899 Section 5.2). What the
// handshake learnt carries over: a validated ICMP estimate becomes the first
// size to probe, and a size the peer acknowledged confirms BASE_PLPMTU.
func (s *Search) restart(now time.Time) {
	s.enterBase()
	if s.est < s.limit() {
		s.r.tooBig(s.est)
	}
	switch {
	case s.acked >= s.base():
		s.enterSearching(s.acked, now)
	case s.r.hi <= s.base():
		s.enterError(now)
	}
	s.est = s.cfg.Max
	s.acked = 0
}

// enterBase starts over from BASE_PLPMTU: at Start, at Reset, and when a
// black hole is detected (RFC 8899 Section 5.2).
func (s *Search) enterBase() {
	s.cancel()
	s.state = Base
	s.r.reset(0, s.limit()+1)
	s.bh = 0
	s.probeDue = false
	s.raiseAt = time.Time{}
}

// enterSearching starts or resumes the search above size, which is known to
// get through (RFC 8899 Section 5.2, BASE or ERROR to SEARCHING).
func (s *Search) enterSearching(size int, now time.Time) {
	s.state = Searching
	s.r.ack(size, s.limit())
	s.settle(now)
}

// settle ends the search when no size is left to probe (RFC 8899 Section
// 5.2, SEARCHING to SEARCH_COMPLETE).
func (s *Search) settle(now time.Time) {
	if s.state != Searching || s.r.next(s.cfg.Plateaus) != 0 {
		return
	}
	s.cancel()
	s.state = SearchComplete
	s.bh = 0
	s.probeDue = false
	s.confirm = now.Add(s.cfg.ConfirmTimeout)
	s.raiseAt = time.Time{}
	if s.r.lo < s.ceiling() {
		s.raiseAt = now.Add(s.cfg.RaiseTimeout)
	}
}

// enterError notes that BASE_PLPMTU is not known to get through (RFC 8899
// Section 5.2): the size is MIN_PLPMTU while the PTB hint, then MIN_PLPMTU
// itself, are probed.
func (s *Search) enterError(now time.Time) {
	s.cancel()
	s.state = Error
	s.r.lo = 0
	s.r.trim()
	s.errorSettle(now)
}

// errorProbe is the size ERROR probes: the PTB hint, else MIN_PLPMTU.
func (s *Search) errorProbe() int {
	if h := s.r.hint; h >= s.cfg.Min && h < s.r.hi {
		return h
	}
	if s.cfg.Min < s.r.hi {
		return s.cfg.Min
	}
	return 0
}

// errorSettle gives up when not even MIN_PLPMTU gets through (RFC 8899
// Section 5.2, ERROR to DISABLED): connectivity is lost. The search starts
// again when the caller reports connectivity, or after the raise timer.
func (s *Search) errorSettle(now time.Time) {
	if s.errorProbe() != 0 {
		return
	}
	s.cancel()
	s.state = Disabled
	s.acked = 0
	s.raiseAt = now.Add(s.cfg.RaiseTimeout)
}

// blackHole reacts to the current size no longer getting through (RFC 8899
// Section 4.3; Section 5.2, SEARCHING or SEARCH_COMPLETE to BASE).
func (s *Search) blackHole() {
	s.enterBase()
}

// raise runs the PMTU_RAISE_TIMER (RFC 8899 Section 5.1.1): SEARCH_COMPLETE
// searches again above the current size, and DISABLED forgets what ICMP and
// the local stack reported, as RFC 8201 Section 4 and RFC 1191 Section 6.3
// age a path MTU estimate, or starts probing again after connectivity loss.
func (s *Search) raise(now time.Time) {
	s.raiseAt = time.Time{}
	s.localMax = 0
	switch s.state {
	case Disabled:
		s.est = s.cfg.Max
		if s.started {
			s.restart(now)
		}
	case SearchComplete:
		s.cancel()
		s.state = Searching
		s.r.reset(s.r.lo, s.limit()+1)
		s.settle(now)
	}
}

// probeSize returns the size of the probe due now, or 0.
func (s *Search) probeSize() int {
	if s.fixed != 0 || s.inFlight {
		return 0
	}
	switch s.state {
	case Base:
		return s.base()
	case Searching:
		return s.r.next(s.cfg.Plateaus)
	case Error:
		return s.errorProbe()
	case SearchComplete:
		if s.probeDue {
			return s.r.lo
		}
	}
	return 0
}

// acknowledged takes in that size got through, from a probe or from the
// caller's own traffic (RFC 8899 Section 4.1).
func (s *Search) acknowledged(size int, now time.Time) {
	if size < s.cfg.Min || s.fixed != 0 {
		return
	}
	size = min(size, s.limit())
	switch s.state {
	case Disabled:
		s.acked = max(s.acked, size)
		if s.started {
			s.restart(now)
		}
	case Base:
		if size >= s.base() {
			s.enterSearching(size, now)
		}
	case Error:
		s.enterSearching(size, now)
	case Searching:
		if size >= s.r.lo {
			s.bh = 0
		}
		s.r.ack(size, s.limit())
		s.settle(now)
	case SearchComplete:
		if size >= s.r.lo {
			s.bh = 0
			s.probeDue = false
			s.confirm = now.Add(s.cfg.ConfirmTimeout)
		}
		s.r.ack(size, s.limit())
	}
}

// lost takes in that the probe in flight was lost (RFC 8899 Section 5.3.1).
func (s *Search) lost(now time.Time) {
	p := s.probe
	s.cancel()
	if p.confirm {
		if s.state == SearchComplete && p.size >= s.r.lo {
			s.lostAtSize(now)
		}
		return
	}
	switch s.state {
	case Base:
		s.r.loss(p.size, s.cfg.MaxProbes)
		if s.r.hi <= s.base() {
			s.enterError(now)
		}
	case Searching:
		s.r.loss(p.size, s.cfg.MaxProbes)
		s.settle(now)
	case Error:
		s.r.loss(p.size, s.cfg.MaxProbes)
		s.errorSettle(now)
	}
}

// lostAtSize counts a loss at the current size, and detects a black hole
// after MAX_PROBES of them (RFC 8899 Section 4.3). Until then, a
// confirmation probe is due at once.
func (s *Search) lostAtSize(now time.Time) {
	s.bh++
	if s.bh >= s.cfg.MaxProbes {
		s.blackHole()
		return
	}
	if s.state == SearchComplete {
		s.probeDue = true
	}
}

// cancel stops waiting for the probe in flight. It is remembered, so that a
// late acknowledgment still counts.
func (s *Search) cancel() {
	if s.inFlight {
		s.remember(s.probe)
		s.inFlight = false
	}
}

// remember keeps a lost probe so that a late acknowledgment still counts.
func (s *Search) remember(p probe) {
	copy(s.late[1:], s.late[:len(s.late)-1])
	s.late[0] = p
}

// takeLate finds and forgets a remembered lost probe.
func (s *Search) takeLate(id uint64) (probe, bool) {
	for i, p := range s.late {
		if p.id == id && id != 0 {
			s.late[i] = probe{}
			return p, true
		}
	}
	return probe{}, false
}
