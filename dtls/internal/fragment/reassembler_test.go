package fragment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

func hdr(typ handshake.Type, length uint32, seq uint16, off, n uint32) handshake.Header {
	return handshake.Header{Type: typ, Length: length, MessageSeq: seq, FragmentOffset: off, FragmentLength: n}
}

// A push is one step of a table test: a fragment and the Status Push must return.
type push struct {
	h    handshake.Header
	frag []byte // nil: FragmentLength zero bytes
	want Status
}

func (p push) body() []byte {
	if p.frag != nil {
		return p.frag
	}
	return make([]byte, p.h.FragmentLength)
}

const cert = handshake.TypeCertificate

// pushTests run against a Reassembler with limits pushLimits.
var pushTests = []struct {
	name   string
	next   uint16
	pushes []push
}{
	{"in order", 0, []push{{h: hdr(cert, 10, 0, 0, 10), want: Accepted}}},
	{"old", 5, []push{{h: hdr(cert, 10, 4, 0, 10), want: Old}, {h: hdr(cert, 10, 0, 0, 10), want: Old}}},
	{"old, cut differently", 5, []push{{h: hdr(cert, 10, 4, 3, 2), want: Old}}},
	{"at MaxAhead", 5, []push{{h: hdr(cert, 10, 7, 0, 10), want: Accepted}}},
	{"beyond MaxAhead", 5, []push{{h: hdr(cert, 10, 8, 0, 10), want: Dropped}}},
	{"far beyond", 0, []push{{h: hdr(cert, 10, 65535, 0, 10), want: Dropped}}},
	{"at MaxMessageLen", 0, []push{{h: hdr(cert, 1000, 0, 0, 10), want: Accepted}}},
	{"over MaxMessageLen", 0, []push{{h: hdr(cert, 1001, 0, 0, 10), want: Dropped}}},
	{"uint24 max length", 0, []push{{h: hdr(cert, 1<<24-1, 0, 0, 10), want: Dropped}}},
	{"past the end", 0, []push{{h: hdr(cert, 10, 0, 5, 6), want: Dropped}}},
	{"offset overflow", 0, []push{{h: hdr(cert, 10, 0, 1<<32-1, 2), want: Dropped}}},
	{"short body", 0, []push{{h: hdr(cert, 10, 0, 0, 10), frag: []byte{1, 2}, want: Dropped}}},
	{"long body", 0, []push{{h: hdr(cert, 10, 0, 0, 1), frag: []byte{1, 2}, want: Dropped}}},
	{"other type starts over", 0, []push{
		{h: hdr(cert, 10, 0, 0, 5), want: Accepted},
		{h: hdr(handshake.TypeServerHello, 10, 0, 5, 5), want: Accepted},
	}},
	{"other length starts over", 0, []push{
		{h: hdr(cert, 10, 0, 0, 5), want: Accepted},
		{h: hdr(cert, 11, 0, 5, 5), want: Accepted},
	}},
	{"duplicate", 0, []push{
		{h: hdr(cert, 10, 0, 0, 10), want: Accepted},
		{h: hdr(cert, 10, 0, 0, 10), want: Accepted},
		{h: hdr(cert, 10, 0, 2, 3), want: Accepted},
	}},
	{"over MaxBuffered", 0, []push{
		{h: hdr(cert, 1000, 1, 0, 1), want: Accepted},
		{h: hdr(cert, 600, 2, 0, 1), want: Dropped},
	}},
	{"nearer message evicts farther", 0, []push{
		{h: hdr(cert, 1000, 2, 0, 1), want: Accepted},
		{h: hdr(cert, 1000, 1, 0, 1), want: Accepted},
		{h: hdr(cert, 600, 2, 0, 1), want: Dropped},
		{h: hdr(cert, 1000, 0, 0, 1), want: Accepted},
		{h: hdr(cert, 600, 1, 0, 1), want: Dropped},
		{h: hdr(cert, 500, 1, 0, 1), want: Accepted},
	}},
	{"too long to ever fit evicts nothing", 0, []push{
		{h: hdr(cert, 500, 2, 0, 1), want: Accepted},
		{h: hdr(cert, 600, 0, 0, 1), want: Accepted},
		{h: hdr(cert, 1000, 1, 0, 1), want: Dropped},
		{h: hdr(cert, 499, 2, 0, 1), want: Accepted}, // replaces the 500-byte message
	}},
	{"empty fragment of empty message", 0, []push{{h: hdr(handshake.TypeServerHelloDone, 0, 0, 0, 0), want: Accepted}}},
	{"empty fragment of other message", 0, []push{
		{h: hdr(cert, 1000, 0, 1000, 0), want: Accepted},
		{h: hdr(cert, 1000, 0, 1001, 0), want: Dropped},
	}},
}

var pushLimits = Limits{MaxMessageLen: 1000, MaxAhead: 2, MaxBuffered: 1500}

func TestPushStatus(t *testing.T) {
	for _, tc := range pushTests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReassembler(pushLimits)
			r.SetNext(tc.next)
			for i, p := range tc.pushes {
				if got := r.Push(p.h, p.body()); got != p.want {
					t.Errorf("push %d (%+v) = %v, want %v", i, p.h, got, p.want)
				}
				checkBuffered(t, r)
			}
		})
	}
}

// count returns the number of messages r buffers.
func (r *Reassembler) count() int {
	n := 0
	for _, p := range r.window {
		if p.live {
			n++
		}
	}
	return n
}

// checkBuffered checks that r accounts for its buffered bytes exactly and that
// they are within its limits.
func checkBuffered(t *testing.T, r *Reassembler) {
	t.Helper()
	sum := 0
	for _, p := range r.window {
		if p.live {
			sum += len(p.body)
		}
	}
	if sum != r.buffered || r.buffered > r.limits.MaxBuffered || len(r.window) != 0 && len(r.window) != r.limits.MaxAhead+1 {
		t.Fatalf("%d bytes buffered, %d counted, limits %+v", sum, r.buffered, r.limits)
	}
}

func TestPopOrder(t *testing.T) {
	r := NewReassembler(Limits{})
	r.Push(hdr(handshake.TypeServerHelloDone, 0, 2, 0, 0), nil)
	r.Push(hdr(handshake.TypeCertificate, 4, 1, 2, 2), []byte("cd"))
	if _, ok := r.Pop(); ok {
		t.Fatal("Pop succeeded before message 0 arrived")
	}
	r.Push(hdr(handshake.TypeServerHello, 3, 0, 0, 3), []byte("xyz"))
	if m, ok := r.Pop(); !ok || m.Seq != 0 || m.Type != handshake.TypeServerHello || string(m.Body) != "xyz" {
		t.Fatalf("Pop = %+v, %v", m, ok)
	}
	if _, ok := r.Pop(); ok {
		t.Fatal("Pop returned the incomplete message 1")
	}
	r.Push(hdr(handshake.TypeCertificate, 4, 1, 0, 3), []byte("abc"))
	if m, ok := r.Pop(); !ok || m.Seq != 1 || string(m.Body) != "abcd" {
		t.Fatalf("Pop = %+v, %v", m, ok)
	}
	if m, ok := r.Pop(); !ok || m.Seq != 2 || m.Body == nil || len(m.Body) != 0 {
		t.Fatalf("Pop = %+v, %v; want the empty ServerHelloDone", m, ok)
	}
	if r.Next() != 3 || r.buffered != 0 || r.count() != 0 {
		t.Errorf("after popping all: Next %d, %d bytes in %d messages", r.Next(), r.buffered, r.count())
	}
	if st := r.Push(hdr(handshake.TypeServerHello, 3, 0, 0, 3), []byte("xyz")); st != Old {
		t.Errorf("Push of a popped message = %v, want Old", st)
	}
}

func TestPopBodyOwned(t *testing.T) {
	r := NewReassembler(Limits{})
	frag := []byte("hello")
	r.Push(hdr(handshake.TypeFinished, 5, 0, 0, 5), frag)
	frag[0] = 'j'
	m, _ := r.Pop()
	if string(m.Body) != "hello" {
		t.Errorf("Body %q: Push kept a reference to its argument", m.Body)
	}
}

func TestSetNextAndReset(t *testing.T) {
	r := NewReassembler(Limits{MaxAhead: 3})
	for seq := uint16(0); seq < 4; seq++ {
		r.Push(hdr(handshake.TypeFinished, 1, seq, 0, 1), []byte{byte(seq)})
	}
	r.SetNext(2)
	if r.count() != 2 || r.buffered != 2 {
		t.Fatalf("after SetNext(2): %d messages, %d bytes; want 2, 2", r.count(), r.buffered)
	}
	if m, ok := r.Pop(); !ok || m.Seq != 2 || m.Body[0] != 2 {
		t.Fatalf("Pop = %+v, %v", m, ok)
	}
	// Lowering next drops what is now too far ahead.
	r.SetNext(0)
	if r.count() != 1 {
		t.Fatalf("after SetNext(0): %d messages, want 1", r.count())
	}
	r.Push(hdr(handshake.TypeFinished, 1, 3, 0, 1), []byte{3})
	r.SetNext(60000)
	if r.count() != 0 || r.buffered != 0 {
		t.Fatalf("after SetNext(60000): %d messages, %d bytes", r.count(), r.buffered)
	}
	r.SetNext(0)
	r.Push(hdr(handshake.TypeFinished, 1, 1, 0, 1), []byte{1})
	r.Reset()
	if r.Next() != 0 || r.count() != 0 || r.buffered != 0 {
		t.Errorf("after Reset: Next %d, %d messages, %d bytes", r.Next(), r.count(), r.buffered)
	}
}

// randomFlight returns n messages with seqs from first, of assorted lengths.
func randomFlight(rng *rand.Rand, first uint16, n, maxLen int) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		body := make([]byte, randomLen(rng, maxLen))
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		msgs[i] = Message{Type: handshake.Type(rng.IntN(21)), Seq: first + uint16(i), Body: body}
	}
	return msgs
}

// randomLen returns a length in [0, maxLen], often 0 or small.
func randomLen(rng *rand.Rand, maxLen int) int {
	switch rng.IntN(4) {
	case 0:
		return rng.IntN(min(maxLen, 2) + 1)
	case 1:
		return rng.IntN(min(maxLen, 100) + 1)
	}
	return rng.IntN(maxLen + 1)
}

// randomCut cuts m into random, possibly overlapping fragments covering it.
func randomCut(rng *rand.Rand, m Message) []fragmentOf {
	var out []fragmentOf
	n := len(m.Body)
	for off := 0; off < n || (n == 0 && len(out) == 0); {
		size := 1 + rng.IntN(max(n/3, 1))
		end := min(off+size, n)
		start := max(0, off-rng.IntN(8)) // overlap what came before
		out = append(out, fragmentOf{hdr(m.Type, uint32(n), m.Seq, uint32(start), uint32(end-start)), m.Body[start:end]})
		off = end
	}
	return out
}

// TestReassembleRandom reassembles flights whose fragments are cut at random,
// overlap, are duplicated, are reordered, and come again cut differently, as
// from a retransmission at a smaller size.
func TestReassembleRandom(t *testing.T) {
	for seed := range uint64(200) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			first := uint16(rng.IntN(5))
			msgs := randomFlight(rng, first, 1+rng.IntN(8), 20000)
			var frags []fragmentOf
			for range 1 + rng.IntN(3) { // the flight and its retransmissions
				for _, m := range msgs {
					frags = append(frags, randomCut(rng, m)...)
				}
			}
			// Lose a third of the fragments; the full copy at the end
			// stands for the retransmission that gets through.
			var kept []fragmentOf
			for _, f := range frags {
				if rng.IntN(3) > 0 {
					kept = append(kept, f)
				}
			}
			for _, m := range msgs {
				kept = append(kept, randomCut(rng, m)...)
			}
			rng.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
			r := NewReassembler(Limits{})
			r.SetNext(first)
			var got []Message
			for _, f := range kept {
				if st := r.Push(f.h, f.body); st == Dropped {
					t.Fatalf("Push(%+v) = Dropped", f.h)
				}
				for m, ok := r.Pop(); ok; m, ok = r.Pop() {
					got = append(got, m)
				}
			}
			checkSame(t, got, msgs)
		})
	}
}

func checkSame(t *testing.T, got, want []Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].Type != want[i].Type || !bytes.Equal(got[i].Body, want[i].Body) {
			t.Errorf("message %d: seq %d %v %d bytes, want seq %d %v %d bytes", i,
				got[i].Seq, got[i].Type, len(got[i].Body), want[i].Seq, want[i].Type, len(want[i].Body))
		}
	}
}

// TestFloodBounded floods a Reassembler with fragments claiming the largest
// lengths, ahead and beyond, and checks that what it allocates stays within its
// limits, and that the next message still gets through.
func TestFloodBounded(t *testing.T) {
	lim := Limits{MaxMessageLen: 4096, MaxAhead: 8, MaxBuffered: 16384}
	r := NewReassembler(lim)
	rng := rand.New(rand.NewPCG(1, 1))
	one := []byte{0}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 100000 {
		length := uint32(lim.MaxMessageLen)
		if rng.IntN(2) == 0 {
			length = 1<<24 - 1
		}
		seq := uint16(1 + rng.IntN(20))
		r.Push(hdr(handshake.TypeCertificate, length-uint32(rng.IntN(3)), seq, uint32(rng.IntN(int(length))), 1), one)
		checkBuffered(t, r)
	}
	runtime.ReadMemStats(&after)
	// Each allocated message costs its body, an eighth of it for the bitmap, and
	// a little more; a message is allocated again only after a nearer one evicted
	// it, and there are MaxAhead of them.
	limit := uint64(lim.MaxAhead * lim.MaxMessageLen * 2 * 9 / 8)
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("flood allocated %d bytes (limit %d)", got, limit)
	if got > limit {
		t.Errorf("flood allocated %d bytes, want at most %d", got, limit)
	}
	body := bytes.Repeat([]byte{7}, lim.MaxMessageLen)
	if st := r.Push(hdr(handshake.TypeServerHello, uint32(len(body)), 0, 0, uint32(len(body))), body); st != Accepted {
		t.Fatalf("Push of the next message during a flood = %v", st)
	}
	if m, ok := r.Pop(); !ok || !bytes.Equal(m.Body, body) {
		t.Fatalf("Pop = %v, %v", m.Seq, ok)
	}
}

func TestFloodBeyondLimitsDoesNotAllocate(t *testing.T) {
	r := NewReassembler(Limits{MaxMessageLen: 1000, MaxAhead: 2})
	one := []byte{0}
	allocs := testing.AllocsPerRun(1000, func() {
		r.Push(hdr(handshake.TypeCertificate, 1<<24-1, 0, 0, 1), one) // too long
		r.Push(hdr(handshake.TypeCertificate, 10, 3, 0, 1), one)      // too far ahead
		r.Push(hdr(handshake.TypeCertificate, 10, 0, 10, 1), one)     // past the end
		r.Push(hdr(handshake.TypeCertificate, 1000, 1, 7, 0), nil)    // empty
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func TestCoverage(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 200} {
		rng := rand.New(rand.NewPCG(uint64(n), 0))
		c := newCoverage(n)
		seen := make([]bool, n)
		for !c.Complete() {
			lo := rng.IntN(n + 1)
			hi := lo + rng.IntN(n-lo+1)
			c.Add(lo, hi)
			for i := lo; i < hi; i++ {
				seen[i] = true
			}
			missing := 0
			for _, s := range seen {
				if !s {
					missing++
				}
			}
			if c.missing != missing {
				t.Fatalf("n=%d: after [%d,%d) missing %d, want %d", n, lo, hi, c.missing, missing)
			}
		}
	}
}

// TestSetLimits checks that lowering the limits drops what no longer fits,
// and bounds what comes next.
func TestSetLimits(t *testing.T) {
	r := NewReassembler(Limits{MaxMessageLen: 4096, MaxAhead: 4, MaxBuffered: 10000})
	r.Push(hdr(cert, 3000, 0, 0, 1), []byte{1})
	r.Push(hdr(cert, 1000, 1, 0, 1), []byte{1})
	r.Push(hdr(cert, 900, 2, 0, 1), []byte{1})
	r.SetLimits(Limits{MaxMessageLen: 2000, MaxBuffered: 1500})
	checkBuffered(t, r)
	if r.buffered != 1000 || r.window[0].live || r.window[2].live {
		t.Fatalf("after SetLimits: %d bytes buffered, window %v", r.buffered, r.window)
	}
	if st := r.Push(hdr(cert, 2001, 3, 0, 1), []byte{1}); st != Dropped {
		t.Fatalf("a message over the new MaxMessageLen: %v", st)
	}
}

// TestSetLimitsReleasesWindow checks that a Reassembler with nothing
// buffered gives its window back on SetLimits, keeps it while a message is
// buffered, and works as before once a fragment comes again.
func TestSetLimitsReleasesWindow(t *testing.T) {
	r := NewReassembler(Limits{})
	r.Push(hdr(cert, 10, 1, 0, 5), make([]byte, 5))
	r.SetLimits(Limits{MaxMessageLen: 100})
	if r.window == nil {
		t.Fatal("the window was released while a message was buffered")
	}
	r.Push(hdr(cert, 5, 0, 0, 5), make([]byte, 5))
	r.Push(hdr(cert, 10, 1, 5, 5), make([]byte, 5))
	for range 2 {
		if _, ok := r.Pop(); !ok {
			t.Fatal("a complete message was not released")
		}
	}
	r.SetLimits(Limits{MaxMessageLen: 100})
	if r.window != nil {
		t.Fatalf("the window (%d entries) was kept with nothing buffered", len(r.window))
	}
	if _, ok := r.Pop(); ok {
		t.Fatal("Pop with no window returned a message")
	}
	r.SetNext(5)
	if st := r.Push(hdr(cert, 3, 5, 0, 3), []byte{1, 2, 3}); st != Accepted {
		t.Fatalf("Push after the release: %v", st)
	}
	if m, ok := r.Pop(); !ok || m.Seq != 5 || len(m.Body) != 3 {
		t.Fatalf("Pop after the release: %+v, %v", m, ok)
	}
	checkBuffered(t, r)
}

// TestRelease checks that Release gives the window back only when no
// message is buffered, and that the Reassembler goes on after it.
func TestRelease(t *testing.T) {
	r := NewReassembler(Limits{})
	r.Push(hdr(handshake.TypeKeyUpdate, 2, 1, 0, 2), []byte("ab")) // message 1, before 0
	r.Release()
	if r.window == nil {
		t.Fatal("Release dropped a buffered message")
	}
	r.Push(hdr(handshake.TypeKeyUpdate, 1, 0, 0, 1), []byte{0})
	for range 2 {
		if _, ok := r.Pop(); !ok {
			t.Fatal("Pop found nothing")
		}
	}
	r.Push(hdr(handshake.TypeKeyUpdate, 4, 2, 2, 2), []byte("cd")) // half of message 2
	r.Release()
	if r.window == nil {
		t.Fatal("Release dropped a partial message")
	}
	r.Push(hdr(handshake.TypeKeyUpdate, 4, 2, 0, 2), []byte("ab"))
	if m, ok := r.Pop(); !ok || m.Seq != 2 || string(m.Body) != "abcd" {
		t.Fatalf("Pop = %+v, %v", m, ok)
	}
	r.Release()
	if r.window != nil || r.arena != nil {
		t.Fatal("Release kept the window of an empty Reassembler")
	}
	r.Push(hdr(handshake.TypeKeyUpdate, 1, 3, 0, 1), []byte{1})
	if m, ok := r.Pop(); !ok || m.Seq != 3 {
		t.Fatalf("after Release: Pop = %+v, %v", m, ok)
	}
}
