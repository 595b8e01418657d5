package pmtu

import "time"

// This file holds the inputs other than probes: ICMP, the local stack, the
// caller's own traffic, and the application's settings.

// PacketTooBig takes in a validated ICMPv4 fragmentation-needed or ICMPv6
// Packet Too Big message reporting mtu, the next-hop MTU, as an IP-level size
// (RFC 8899 Section 4.6). The caller must have validated it (RFC 8899
// Section 4.6.1): it quotes a datagram this path sent recently, and mtu is
// below that datagram's size.
//
// A PTB never raises the size, and while probing it never sets it either
// (RFC 8899 Section 4.6.2): a report below MIN_PLPMTU is discarded; one at or
// above both the current size and the probe in flight is inconsistent and
// discarded; one between them makes mtu the next probe; one below the current
// size falls back to BASE_PLPMTU and probes mtu next, or enters ERROR when
// mtu is below BASE_PLPMTU, keeping a smaller size that traffic confirmed in
// BASE. Before Start, where nothing can be probed, a PTB below the estimate
// (the backoff ladder aside) lowers it to mtu, as RFC 1191 and RFC 8201 do,
// until the raise timer expires; Start then probes mtu first and nothing
// above it. In Disabled after connectivity was lost, a PTB is ignored.
func (s *Search) PacketTooBig(mtu MTU, now time.Time) {
	s.last = now
	if s.fixed != 0 || mtu < s.cfg.Min {
		return
	}
	if s.state == Disabled {
		if !s.started && (s.ptb == 0 || mtu < s.ptb) && mtu < s.est {
			s.ptb = mtu
			s.raiseAt = now.Add(s.cfg.RaiseTimeout)
		}
		s.sync(now)
		return
	}
	if s.inFlight && s.probe.size > mtu {
		s.cancel() // the probe did not get through
	} else if mtu >= s.pmtu {
		return
	}
	s.usePTB(mtu, now)
	s.sync(now)
}

// usePTB acts on a PTB reporting mtu in a probing state, after the checks of
// RFC 8899 Section 4.6.2.
func (s *Search) usePTB(mtu MTU, now time.Time) {
	switch {
	case s.state == Error:
		s.r.tooBig(mtu)
		s.errorSettle(now)
	case s.state != Base && mtu >= s.r.lo:
		// PLPMTU <= PL_PTB_SIZE < PROBED_SIZE: probe mtu next; a PTB
		// equal to PLPMTU completes the search.
		s.r.tooBig(mtu)
		s.settle(now)
	case mtu >= s.base():
		// BASE_PLPMTU <= PL_PTB_SIZE < PLPMTU: maybe a black hole. The
		// size falls to BASE_PLPMTU and the search starts at mtu.
		s.enterBase()
		s.r.tooBig(mtu)
		s.enterSearching(s.base(), now)
	default:
		// MIN_PLPMTU <= PL_PTB_SIZE < BASE_PLPMTU. In BASE, a smaller
		// size that traffic confirmed (see restart) still holds if it is
		// not above mtu, and enterError goes on to search above it.
		if s.state != Base || s.r.lo > mtu {
			s.enterBase()
		}
		s.r.tooBig(mtu)
		s.enterError(now)
	}
}

// PacketTooBigHint takes in a PTB that could not be validated against a
// datagram sent, because its quote is too short to show which (RFC 792 asks
// for only the IP header and 8 bytes). It is a hint, never a reason to cut
// the size (RFC 8899 Section 4.6): after SEARCH_COMPLETE it makes a
// confirmation probe of the current size due at once, whose loss counts
// toward black-hole detection as any other, so that a real narrowing is
// found within MAX_PROBES probe timers and a forged message costs one
// probe. In the other states it does nothing: the search probes anyway, or
// nothing can be probed.
func (s *Search) PacketTooBigHint(now time.Time) {
	s.last = now
	if s.fixed == 0 && s.state == SearchComplete && !s.inFlight {
		s.probeDue = true
	}
	s.sync(now)
}

// MessageTooLong takes in that the local stack refused to send a datagram
// larger than mtu (EMSGSIZE): mtu is the limit the stack reported, or the
// refused size minus one when it reports none. Nothing above mtu is used or
// probed until Reset or the raise timer, since MAX_PLPMTU cannot exceed what
// the interface sends (RFC 8899 Section 5.1.2). Unlike a PTB, this comes from
// the local stack, so it lowers the size at once. A probe in flight that is
// larger than mtu was not sent: it is forgotten, not counted as lost.
func (s *Search) MessageTooLong(mtu MTU, now time.Time) {
	s.last = now
	if s.fixed != 0 {
		return
	}
	mtu = max(mtu, s.cfg.Min)
	if s.localMax == 0 || mtu < s.localMax {
		s.localMax = mtu
	}
	if s.state == Disabled && s.raiseAt.IsZero() {
		s.raiseAt = now.Add(s.cfg.RaiseTimeout)
	}
	s.applyLimit(now)
}

// SizeAcked takes in that a datagram of this IP size, not a probe, got
// through: the peer answered it (RFC 8899 Section 4.1). In Disabled it is
// remembered for Start (see the package documentation's "Handshake
// sizes"); in BASE it confirms BASE_PLPMTU if at least that size, and is
// remembered if smaller; in ERROR it confirms the path; while searching it
// raises the size if larger; in SearchComplete it confirms the size and
// restarts the confirmation timer.
func (s *Search) SizeAcked(size MTU, now time.Time) {
	s.acknowledged(size, now)
	s.sync(now)
}

// SizeLost takes in that a datagram of this IP size, not a probe, was lost:
// the caller knows it did not arrive (for example, a retransmission timer
// expired). A loss above BASE_PLPMTU and not above the current size counts
// toward black-hole detection (RFC 8899 Section 4.3): after MAX_PROBES such
// losses, and confirmation-probe losses, with no acknowledgment of the current
// size in between, the size falls to BASE_PLPMTU and the search starts again.
// Each such loss also makes a confirmation probe due at once. Outside
// SEARCHING and SEARCH_COMPLETE, SizeLost does nothing; a handshake uses
// Backoff instead.
func (s *Search) SizeLost(size MTU, now time.Time) {
	s.last = now
	if s.fixed == 0 && (s.state == Searching || s.state == SearchComplete) &&
		size > s.base() && size <= s.pmtu {
		s.lostAtSize(now)
	}
	s.sync(now)
}

// Backoff takes in that a handshake flight whose largest datagram had IP
// size sent went unanswered, and returns the new PMTU, the size to
// retransmit it at (RFC 6347 Section 4.1.1.1). Before Start, the estimate
// goes one rung of the ladder below the smaller of PMTU and sent
// (NextSmaller), never below Family.Floor() nor Config.Min, and stays there
// until Reset or Start. Every call takes a rung, whatever size the
// datagrams had: a flight of datagrams already below the estimate still
// moves the estimate below them, so that a path narrower than every
// datagram is found too. A flight whose datagrams all fit the floor says
// nothing about sizes (smaller records could not help it), and moves
// nothing. When to call it (at the first timeout, or after
// two or three) is the caller's policy. In the probing states the search
// handles loss itself, in Disabled after connectivity was lost there is no
// handshake, and in fixed mode nothing moves: Backoff returns PMTU
// unchanged.
func (s *Search) Backoff(sent MTU, now time.Time) MTU {
	s.last = now
	if s.fixed == 0 && s.state == Disabled && !s.started && sent > s.cfg.Family.Floor() {
		r := NextSmaller(s.cfg.Family, min(s.pmtu, sent))
		if s.ceil == 0 || r < s.ceil {
			s.ceil = r
		}
	}
	s.sync(now)
	return s.pmtu
}

// SetCap sets the largest size the application allows, reducing MAX_PLPMTU
// (RFC 8899 Section 5.3.1); mtu <= 0 removes the cap. A cap below
// Config.Min is raised to it. Raising or removing the cap makes a completed
// search look for a larger size again.
func (s *Search) SetCap(mtu MTU, now time.Time) {
	s.last = now
	old := s.limit()
	s.capMTU = 0
	if mtu > 0 {
		s.capMTU = max(mtu, s.cfg.Min)
	}
	if s.limit() > old && (s.state == Searching || s.state == SearchComplete) {
		s.cancel()
		s.state = Searching
		s.r.reset(s.r.lo, s.limit()+1)
	}
	s.applyLimit(now)
}

// SetFixed fixes the size at mtu, at most the cap: probing stops and every
// other input is ignored. Config.Min does not bound it: a caller that fixes
// the size knows its path, and may want datagrams smaller than any path
// needs (the caller checks that they can carry its packets). PMTU and Fixed return the fixed size.
// mtu <= 0 ends fixed mode, and the state machine resumes where it was.
func (s *Search) SetFixed(mtu MTU, now time.Time) {
	s.last = now
	s.cancel()
	s.fixed = 0
	if mtu > 0 {
		s.fixed = min(mtu, s.ceiling())
	}
	s.sync(now)
}

// Reset forgets everything learnt about the path, Config.Initial included:
// the estimate returns to Config.Max in Disabled, or probing starts again
// from BASE. The cap and the fixed size stay. Probes handed out before Reset
// no longer count: their acknowledgments are ignored.
func (s *Search) Reset(now time.Time) {
	s.cancel()
	s.late = [len(s.late)]probe{}
	s.localMax = 0
	s.est, s.ptb, s.ceil, s.acked = s.cfg.Max, 0, 0, 0
	s.raiseAt = time.Time{}
	s.state = Disabled
	if s.started {
		s.restart(now)
	}
	s.sync(now)
}

// applyLimit enforces a lowered cap or local limit: nothing above it is kept,
// probed or waited for.
func (s *Search) applyLimit(now time.Time) {
	m := s.limit()
	if s.inFlight && s.probe.size > m {
		s.inFlight = false
	}
	if s.fixed != 0 {
		s.fixed = min(s.fixed, s.ceiling())
	}
	if s.state != Disabled {
		s.r.limit(m)
	}
	s.settle(now)
	if s.state == SearchComplete && s.raiseAt.IsZero() && s.r.lo < s.ceiling() {
		s.raiseAt = now.Add(s.cfg.RaiseTimeout) // to try the old size again
	}
	s.sync(now)
}
