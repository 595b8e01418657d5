package pmtu

import "slices"

// maxSuspects bounds how many sizes a search remembers as lost but not yet
// lost MAX_PROBES times. Forgetting one only costs a probe at that size again.
const maxSuspects = 8

// A searchRange is what a search knows about sizes (RFC 8899 Section 5.3):
//
//	  acked            suspects (lost < MAX_PROBES times)    too big
//	────────┤lo├───────────────[s1]──────[s2]───[s3]───┤hi├───────────
//	         ▲ largest acknowledged                     ▲ smallest lost
//	                                                      MAX_PROBES times,
//	                                                      or reported by PTB
//
// Sizes up to lo get through; sizes from hi on do not. A size lost fewer than
// MAX_PROBES times is a suspect: the search looks below the smallest suspect
// first, and probes a suspect again only when nothing is left below it, so
// that an isolated random loss costs one probe and a true limit costs
// MAX_PROBES-1 extra probes at the very end.
type searchRange struct {
	lo, hi   MTU
	hint     MTU // a size reported by a PTB message, probed next
	suspects [maxSuspects]suspect
	n        int // suspects in use, sorted by size
}

type suspect struct {
	size   MTU
	losses int
}

// reset starts over with nothing known but that sizes up to lo get through
// and sizes from hi on do not.
func (r *searchRange) reset(lo, hi MTU) {
	*r = searchRange{lo: lo, hi: hi}
}

// top is the exclusive bound below which the search looks for a new size:
// the smallest suspect, or hi.
func (r *searchRange) top() MTU {
	if r.n > 0 {
		return r.suspects[0].size
	}
	return r.hi
}

// next returns the size to probe next, or 0 when the search is over (RFC
// 8899 Section 5.3.2): the PTB hint; else the largest size not known to be
// too big (MAX_PLPMTU at first); else the middle plateau below the smallest
// suspect; else, when the largest size acknowledged is a plateau, the byte
// above it, since a path MTU is most often a plateau; else the middle byte;
// and once nothing is left below the smallest suspect, that suspect again.
func (r *searchRange) next(plateaus []MTU) MTU {
	if r.hint > r.lo && r.hint < r.hi {
		return r.hint
	}
	top := r.top()
	switch {
	case top-r.lo <= 1:
		if top < r.hi {
			return top
		}
		return 0
	case top == r.hi:
		return r.hi - 1
	}
	if p := middlePlateau(plateaus, r.lo, top); p != 0 {
		return p
	}
	if isPlateau(plateaus, r.lo) {
		return r.lo + 1
	}
	return r.lo + (top-r.lo)/2
}

// middlePlateau returns the middle one of the plateaus strictly between lo
// and top, or 0 if there is none. plateaus is sorted in decreasing order.
func middlePlateau(plateaus []MTU, lo, top MTU) MTU {
	i := 0
	for i < len(plateaus) && plateaus[i] >= top {
		i++
	}
	j := i
	for j < len(plateaus) && plateaus[j] > lo {
		j++
	}
	if i == j {
		return 0
	}
	return plateaus[i+(j-i)/2]
}

// isPlateau reports whether size is one of the plateaus.
func isPlateau(plateaus []MTU, size MTU) bool {
	for _, p := range plateaus {
		if p == size {
			return true
		}
	}
	return false
}

// sortedPlateaus returns the distinct plateaus within [lo, hi], largest
// first, in a new slice.
func sortedPlateaus(in []MTU, lo, hi MTU) []MTU {
	out := make([]MTU, 0, len(in))
	for _, p := range in {
		if p >= lo && p <= hi {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return slices.Compact(out)
}

// ack records that size gets through; nothing above limit can be sent. A
// size at or above hi contradicts what was known (RFC 8899 Section 5.3.3):
// the upper bound is forgotten.
func (r *searchRange) ack(size, limit MTU) {
	size = min(size, limit)
	if size <= r.lo {
		return
	}
	r.lo = size
	if r.hi <= size {
		r.hi = limit + 1
	}
	r.trim()
}

// loss records a loss of size and reports whether that made it too big:
// lost maxProbes times (RFC 8899 Section 5.3.1).
func (r *searchRange) loss(size MTU, maxProbes int) bool {
	if size <= r.lo || size >= r.hi {
		return false
	}
	i := 0
	for i < r.n && r.suspects[i].size < size {
		i++
	}
	if i < r.n && r.suspects[i].size == size {
		r.suspects[i].losses++
	} else {
		if r.n == maxSuspects {
			if i == r.n {
				return false // larger than every suspect: not worth keeping
			}
			r.n-- // forget the largest
		}
		copy(r.suspects[i+1:r.n+1], r.suspects[i:r.n])
		r.suspects[i] = suspect{size: size, losses: 1}
		r.n++
	}
	if r.suspects[i].losses >= maxProbes {
		r.hi = size
		r.trim()
		return true
	}
	return false
}

// tooBig records a PTB message reporting mtu (RFC 8899 Section 4.6.2): sizes
// above it do not get through, and mtu itself is probed next.
func (r *searchRange) tooBig(mtu MTU) {
	r.hi = min(r.hi, mtu+1)
	if mtu > r.lo {
		r.hint = mtu
	}
	r.trim()
}

// limit applies a new largest size: nothing above it can be sent.
func (r *searchRange) limit(m MTU) {
	r.hi = min(r.hi, m+1)
	r.lo = min(r.lo, m)
	r.trim()
}

// trim drops the suspects and the hint outside (lo, hi).
func (r *searchRange) trim() {
	k := 0
	for _, s := range r.suspects[:r.n] {
		if s.size > r.lo && s.size < r.hi {
			r.suspects[k] = s
			k++
		}
	}
	r.n = k
	if r.hint <= r.lo || r.hint >= r.hi {
		r.hint = 0
	}
}
