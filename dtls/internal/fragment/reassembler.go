package fragment

import "github.com/pathdtls/pathdtls/dtls/internal/handshake"

// The limits used for the zero fields of Limits.
const (
	defaultMaxMessageLen = 1 << 17
	defaultMaxAhead      = 8
	defaultMaxBuffered   = 1 << 18
)

// Limits bounds the memory a Reassembler uses. A zero or negative field takes
// its default; MaxAhead is at most 65535. Besides the buffered bodies counted by MaxBuffered, each buffered
// message costs a bitmap of an eighth of its length and a small constant.
type Limits struct {
	MaxMessageLen int // largest handshake message accepted (default 1<<17 when 0)
	MaxAhead      int // how many message_seq values past next are buffered (default 8)
	MaxBuffered   int // total bytes buffered across messages (default 1<<18)
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessageLen <= 0 {
		l.MaxMessageLen = defaultMaxMessageLen
	}
	if l.MaxAhead <= 0 {
		l.MaxAhead = defaultMaxAhead
	}
	l.MaxAhead = min(l.MaxAhead, 1<<16-1)
	if l.MaxBuffered <= 0 {
		l.MaxBuffered = defaultMaxBuffered
	}
	return l
}

// Message is a reassembled handshake message: its type, its message_seq, and its
// body without the handshake header.
type Message struct {
	Type handshake.Type
	Seq  uint16
	Body []byte
}

// Status says what Push did with a fragment.
type Status uint8

const (
	// Accepted means the fragment was stored, or was a harmless duplicate.
	Accepted Status = iota
	// Old means message_seq < next_receive_seq: the fragment belongs to a message
	// already processed, so the peer is retransmitting (RFC 6347, Section 4.2.4).
	Old
	// Dropped means the fragment was discarded: it is too far ahead, over a
	// limit, or malformed. (A fragment inconsistent with earlier fragments of
	// the same message, of a different Type or Length, is Accepted and
	// starts the message over.)
	Dropped
)

// String returns the name of s.
func (s Status) String() string {
	switch s {
	case Accepted:
		return "Accepted"
	case Old:
		return "Old"
	case Dropped:
		return "Dropped"
	}
	return "Status(?)"
}

// A Reassembler buffers handshake message fragments and releases complete
// messages in message_seq order, keeping the next_receive_seq counter of RFC
// 6347, Section 4.2.2. Fragments of messages before next_receive_seq are Old;
// fragments of messages up to Limits.MaxAhead past it are buffered; fragments
// further ahead are Dropped. A retransmission may cut a message into different,
// overlapping fragments (Section 4.2.3); overlapping bytes are expected to agree,
// and the last one written wins.
//
// Sequence numbers compare as plain integers, as in the RFC: message_seq does not
// wrap within a handshake. A Reassembler is not safe for concurrent use.
type Reassembler struct {
	limits Limits
	next   uint16
	// window[i] is message next+i, if live; len(window) is MaxAhead+1, or
	// 0 while nothing is buffered and SetLimits has released it.
	window   []partial
	buffered int    // sum of the body lengths in window
	arena    []byte // where the bodies of small messages are cut from
}

// arenaSize is the size of the blocks the bodies of small messages, of at
// most half of it, are cut from: the hellos, key exchanges and Finished of
// a handshake take an allocation or two, not one each. A body is never cut
// from a block twice, so a message the handshake keeps keeps its bytes.
const arenaSize = 256

// A partial is a message being reassembled, or (not live) a free place in
// the window.
type partial struct {
	live bool
	typ  handshake.Type
	body []byte
	have Coverage
}

// NewReassembler returns a Reassembler with next_receive_seq 0.
func NewReassembler(l Limits) *Reassembler {
	r := new(Reassembler)
	r.Init(l)
	return r
}

// Init makes r a new Reassembler with next_receive_seq 0, in place, as
// NewReassembler does.
func (r *Reassembler) Init(l Limits) {
	*r = Reassembler{limits: l.withDefaults()}
}

// SetLimits changes MaxMessageLen and MaxBuffered (MaxAhead stays), for a
// caller whose next messages can only be so large: buffered messages over
// the new MaxMessageLen are dropped, and the farthest ones while the total
// is over MaxBuffered. If nothing is left buffered, the Reassembler gives
// its window's memory back until a fragment needs it, as between the
// handshakes of a connection that lives long.
func (r *Reassembler) SetLimits(l Limits) {
	defer r.release()
	l = l.withDefaults()
	r.limits.MaxMessageLen, r.limits.MaxBuffered = l.MaxMessageLen, l.MaxBuffered
	for i, p := range r.window {
		if p.live && len(p.body) > l.MaxMessageLen {
			r.forget(r.window[i : i+1])
		}
	}
	for j := len(r.window) - 1; j >= 0 && r.buffered > l.MaxBuffered; j-- {
		r.forget(r.window[j : j+1])
	}
}

// Release gives the window's memory back if no message is buffered, as
// SetLimits does: for a caller that has taken the messages of a burst and
// expects no more for a while (the post-handshake messages of DTLS 1.3).
func (r *Reassembler) Release() { r.release() }

// release drops the window if no message is in it.
func (r *Reassembler) release() {
	for _, p := range r.window {
		if p.live {
			return
		}
	}
	r.window, r.arena = nil, nil
}

// Next returns next_receive_seq, the message_seq of the next message Pop returns.
func (r *Reassembler) Next() uint16 {
	return r.next
}

// SetNext sets next_receive_seq to seq, discarding buffered messages before it
// and those more than Limits.MaxAhead past it.
func (r *Reassembler) SetNext(seq uint16) {
	if seq >= r.next {
		r.slide(int(seq - r.next))
	} else {
		r.slide(-int(r.next - seq))
	}
	r.next = seq
}

// slide moves the window d messages forward (backward if d < 0), discarding
// the messages that leave it.
func (r *Reassembler) slide(d int) {
	w := r.window
	switch {
	case len(w) == 0:
	case d >= len(w) || -d >= len(w):
		r.Reset()
		return
	case d > 0:
		r.forget(w[:d])
		copy(w, w[d:])
		clear(w[len(w)-d:])
	case d < 0:
		r.forget(w[len(w)+d:])
		copy(w[-d:], w)
		clear(w[:-d])
	}
}

// forget discards the messages in msgs, a part of the window.
func (r *Reassembler) forget(msgs []partial) {
	for _, p := range msgs {
		if p.live {
			r.buffered -= len(p.body)
		}
	}
	clear(msgs)
}

// Reset discards every buffered message; next_receive_seq is kept.
func (r *Reassembler) Reset() {
	clear(r.window)
	r.buffered = 0
}

// Push offers one fragment, with its header, to the Reassembler. The fragment is
// copied. A fragment that would not fit within Limits.MaxBuffered evicts buffered
// messages further ahead than its own, farthest first (the peer will send them
// again); if that is not enough it is Dropped.
func (r *Reassembler) Push(h handshake.Header, fragment []byte) Status {
	if !wellFormed(h, fragment) {
		return Dropped
	}
	switch {
	case h.MessageSeq < r.next:
		return Old
	case int(h.MessageSeq-r.next) > r.limits.MaxAhead,
		uint64(h.Length) > uint64(r.limits.MaxMessageLen):
		return Dropped
	}
	i := int(h.MessageSeq - r.next)
	if r.window == nil {
		r.window = make([]partial, r.limits.MaxAhead+1)
	}
	p := &r.window[i]
	if p.live && (p.typ != h.Type || uint64(len(p.body)) != uint64(h.Length)) {
		// Fragments of one message disagree, so at most one of them is the
		// peer's, and neither is authenticated. The newer starts the message
		// over: a forged fragment, sent once, must not block the real
		// message, which the peer sends again.
		r.restart(i, h)
	}
	if !p.live {
		if h.FragmentLength == 0 && h.Length > 0 {
			return Accepted // carries nothing; not worth buffering a message for
		}
		if !r.start(i, h) {
			return Dropped
		}
	}
	off := int(h.FragmentOffset)
	copy(p.body[off:], fragment)
	p.have.Add(off, off+len(fragment))
	return Accepted
}

// wellFormed reports whether fragment is the body range h describes. The header
// fields are 24-bit on the wire but uint32 here, so the sum is taken in uint64.
func wellFormed(h handshake.Header, fragment []byte) bool {
	return uint64(len(fragment)) == uint64(h.FragmentLength) &&
		uint64(h.FragmentOffset)+uint64(h.FragmentLength) <= uint64(h.Length)
}

// start allocates message i of the window, for h, making room for it, and
// reports whether it could. h.Length is at most MaxMessageLen. A message
// that arrives whole, as most do, needs no record of its coverage.
func (r *Reassembler) start(i int, h handshake.Header) bool {
	n := int(h.Length)
	if !r.makeRoom(i, n) {
		return false
	}
	p := &r.window[i]
	p.live, p.typ, p.body = true, h.Type, r.alloc(n)
	if h.FragmentOffset == 0 && int(h.FragmentLength) == n {
		p.have = Coverage{} // complete once the fragment is copied in
	} else {
		p.have = newCoverage(n)
	}
	r.buffered += n
	return true
}

// alloc returns n zero bytes for a message's body: cut from the arena if
// n is at most half of it, in a block of their own otherwise.
func (r *Reassembler) alloc(n int) []byte {
	switch {
	case n == 0:
		return []byte{} // not nil: a message that is there, and empty
	case n > arenaSize/2:
		return make([]byte, n)
	}
	if cap(r.arena)-len(r.arena) < n {
		r.arena = make([]byte, 0, arenaSize)
	}
	at := len(r.arena)
	r.arena = r.arena[:at+n]
	return r.arena[at : at+n : at+n]
}

// restart starts message i of the window over for h, in its buffer when it
// is large enough, so that fragments that keep disagreeing cost no new
// memory; else it discards the message, for start to allocate anew.
func (r *Reassembler) restart(i int, h handshake.Header) {
	p, n := &r.window[i], int(h.Length)
	if n > cap(p.body) || r.buffered-len(p.body)+n > r.limits.MaxBuffered {
		r.forget(r.window[i : i+1])
		return
	}
	r.buffered += n - len(p.body)
	p.typ, p.body = h.Type, p.body[:n]
	clear(p.body)
	p.have.Reset(n)
}

// makeRoom evicts messages after message i of the window, farthest first,
// until n more bytes fit within MaxBuffered. It evicts nothing and reports false
// if they cannot fit even then.
func (r *Reassembler) makeRoom(i, n int) bool {
	kept := 0
	for _, p := range r.window[:i+1] {
		if p.live {
			kept += len(p.body)
		}
	}
	if kept+n > r.limits.MaxBuffered {
		return false
	}
	for j := len(r.window) - 1; r.buffered+n > r.limits.MaxBuffered; j-- {
		r.forget(r.window[j : j+1])
	}
	return true
}

// Pop returns the next complete message (Seq == Next()) and advances Next.
// Body is owned by the caller after Pop.
func (r *Reassembler) Pop() (Message, bool) {
	if len(r.window) == 0 {
		return Message{}, false
	}
	p := &r.window[0]
	if !p.live || !p.have.Complete() {
		return Message{}, false
	}
	m := Message{Type: p.typ, Seq: r.next, Body: p.body}
	r.slide(1)
	r.next++
	return m, true
}
