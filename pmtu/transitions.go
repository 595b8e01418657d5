package pmtu

import "time"

// This file holds the transitions of the RFC 8899 Section 5.2 state machine.

// restart leaves DISABLED (RFC 8899 Section 5.2), carrying over what the
// handshake learnt, as the package documentation's "Handshake sizes" says:
// the estimate e bounds the PLPMTU until a probe is acknowledged and is the
// first size probed; a validated PTB also bounds the search; the largest
// size acknowledged, up to e, is confirmed. When the path is believed to
// carry BASE_PLPMTU, a confirmed size below it is kept in BASE for the case
// that BASE_PLPMTU fails. When it is not (judged without the cap, which a
// later SetCap may raise), the path is not known to carry BASE_PLPMTU:
// ERROR, which goes on to SEARCHING at once when a size is confirmed.
func (s *Search) restart(now time.Time) {
	below := s.pathEstimate() < s.cfg.Base
	e := s.estimate()
	acked, ptb := min(s.acked, e), s.ptb
	s.est, s.ptb, s.ceil, s.acked = s.cfg.Max, 0, 0, 0
	s.enterBase()
	if ptb != 0 && ptb < s.limit() {
		s.r.tooBig(ptb)
	}
	if e < s.limit() {
		s.r.hint = e
	}
	s.r.ack(acked, s.limit())
	s.r.trim()
	switch {
	case acked >= s.base():
		s.enterSearching(acked, now)
	case below:
		s.enterError(now)
	}
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
func (s *Search) enterSearching(size MTU, now time.Time) {
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
// Section 5.2): the size is MIN_PLPMTU while the hint, then MIN_PLPMTU
// itself, are probed. When a size of at least MIN_PLPMTU is confirmed
// already (r.lo, from traffic in BASE or before Start), there is nothing to
// confirm: the search goes on above it at once, as after an acknowledged
// probe (ERROR to SEARCHING).
func (s *Search) enterError(now time.Time) {
	s.cancel()
	s.state = Error
	if s.r.lo >= s.cfg.Min && s.r.lo < s.r.hi {
		s.enterSearching(s.r.lo, now)
		return
	}
	s.r.lo = 0
	s.r.trim()
	s.errorSettle(now)
}

// errorProbe is the size ERROR probes: the hint, else MIN_PLPMTU.
func (s *Search) errorProbe() MTU {
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
// Section 4.3; Section 5.2, SEARCHING or SEARCH_COMPLETE to BASE). A
// PLPMTU below BASE_PLPMTU (reached through ERROR) that fails says that
// BASE_PLPMTU cannot work either: the size goes to ERROR, with the failed
// size taken as too big, rather than up to BASE_PLPMTU.
func (s *Search) blackHole(now time.Time) {
	lo := s.r.lo
	s.enterBase()
	if lo < s.base() {
		s.r.hi = lo
		s.enterError(now)
	}
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
		s.est, s.ptb = s.cfg.Max, 0
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
func (s *Search) probeSize() MTU {
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
func (s *Search) acknowledged(size MTU, now time.Time) {
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
		} else {
			s.r.ack(size, s.limit()) // kept for ERROR, see enterError
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
		s.blackHole(now)
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
