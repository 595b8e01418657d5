package fragment

import "math/bits"

// A Coverage records which bytes of a message body have arrived, one bit per
// byte, so its size is bounded by the message length (an eighth of it) however
// the message is cut into fragments. The zero Coverage covers all of no
// bytes, which is also how a message that arrived whole is complete; Reset
// sizes it.
type Coverage struct {
	words   []uint64
	missing int // bytes not yet received
}

func newCoverage(n int) Coverage {
	return Coverage{words: make([]uint64, (n+63)/64), missing: n}
}

// Add marks bytes [lo, hi) as received; 0 <= lo <= hi <= the length.
func (c *Coverage) Add(lo, hi int) {
	if c.missing == 0 {
		return // nothing to mark, and maybe no words to mark it in
	}
	for lo < hi {
		w, bit := lo/64, lo%64
		n := min(64-bit, hi-lo)
		mask := ^uint64(0)
		if n < 64 {
			mask = (1<<n - 1) << bit
		}
		c.missing -= bits.OnesCount64(mask &^ c.words[w])
		c.words[w] |= mask
		lo += n
	}
}

// Complete reports whether every byte has arrived.
func (c *Coverage) Complete() bool {
	return c.missing == 0
}

// Reset makes c cover none of n bytes, reusing its memory when it can.
func (c *Coverage) Reset(n int) {
	w := (n + 63) / 64
	if cap(c.words) < w {
		c.words = make([]uint64, w)
	}
	c.words = c.words[:w]
	clear(c.words)
	c.missing = n
}
