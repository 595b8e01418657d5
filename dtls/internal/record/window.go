package record

// maxWindowSize caps the size NewWindow accepts, which keeps a window's
// bitmap under 200 KiB.
const maxWindowSize = 1 << 20

// Window is the anti-replay window of RFC 6347, Section 4.1.2.6 (RFC 4347,
// Section 4.1.2.5): it remembers which of the latest sequence numbers
// received in one epoch have authenticated, so that a duplicate, or a record
// too old to tell, is discarded. It is not safe for concurrent use.
//
// The bitmap is a ring of 64-bit words, as in RFC 6479, Section 2: word
// (seq/64) % len(bits), bit seq % 64. Moving the window forward clears whole
// words, and the ring holds one word more than the window needs, so the
// window's left edge may fall anywhere inside a word.
type Window struct {
	size   uint64    // sequence numbers the window covers, 0 when disabled
	bits   []uint64  // a power-of-two number of words
	latest uint64    // the highest sequence number marked
	seen   bool      // whether latest is set
	small  [4]uint64 // bits, for a window of up to 128 (the default is 64)
}

// NewWindow returns a window of at least size sequence numbers, rounded up
// to a multiple of 64 and at most 2^20; RFC 6347, Section 4.1.2.6, asks for
// at least 32 and recommends 64. A size of 0 (or less) turns replay
// detection off: Check always reports true.
func NewWindow(size int) *Window {
	w := new(Window)
	w.Init(size)
	return w
}

// Init makes w a new window of at least size sequence numbers, as
// NewWindow does, in place: a window kept inside another value costs no
// allocation of its own (up to 128 sequence numbers). A Window must not
// be copied after Init.
func (w *Window) Init(size int) {
	*w = Window{}
	if size <= 0 {
		return
	}
	words := (min(size, maxWindowSize) + 63) / 64
	n := 1
	for n < words+1 {
		n <<= 1
	}
	w.size = uint64(words) * 64
	if n <= len(w.small) {
		w.bits = w.small[:n]
	} else {
		w.bits = make([]uint64, n)
	}
}

// Check reports whether a record with sequence number seq would be
// accepted: it is not left of the window and has not been marked. A seq
// above MaxSeq is never accepted.
func (w *Window) Check(seq uint64) bool {
	switch {
	case w.size == 0:
		return true
	case seq > MaxSeq:
		return false
	case !w.seen || seq > w.latest:
		return true
	case w.latest-seq >= w.size:
		return false
	}
	word, bit := w.slot(seq)
	return w.bits[word]&bit == 0
}

// Mark records seq as received, moving the window forward if seq is the
// highest yet. Call it only once the record has authenticated (RFC 6347,
// Section 4.1.2.6); a seq left of the window is ignored.
func (w *Window) Mark(seq uint64) {
	switch {
	case w.size == 0 || seq > MaxSeq:
		return
	case !w.seen:
		w.seen, w.latest = true, seq
	case seq > w.latest:
		w.advance(seq)
	case w.latest-seq >= w.size:
		return
	}
	word, bit := w.slot(seq)
	w.bits[word] |= bit
}

// Reset forgets every sequence number, as for a new epoch.
func (w *Window) Reset() {
	clear(w.bits)
	w.latest, w.seen = 0, false
}

// advance moves the window's right edge up to seq, clearing the words
// that enter the window.
func (w *Window) advance(seq uint64) {
	from, to := w.latest/64, seq/64
	if to-from >= uint64(len(w.bits)) {
		clear(w.bits)
	} else {
		for i := from + 1; i <= to; i++ {
			w.bits[i&uint64(len(w.bits)-1)] = 0
		}
	}
	w.latest = seq
}

// slot returns the word index and bit mask of seq.
func (w *Window) slot(seq uint64) (word int, bit uint64) {
	return int(seq / 64 & uint64(len(w.bits)-1)), 1 << (seq % 64)
}

// Next returns one more than the highest sequence number marked, or 0 if
// none has been: the number a receiver expects next, near which DTLS 1.3
// reconstructs a record's full sequence number from its low bits (RFC
// 9147, Section 4.2.2). A disabled window always returns 0.
func (w *Window) Next() uint64 {
	if !w.seen {
		return 0
	}
	return w.latest + 1
}
