package record

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A windowOp is one step of a window test: check, mark, or accept (check,
// then mark if the check passed, as the record layer does once a record
// authenticates). want is the result of the check.
type windowOp struct {
	op   byte // 'c' check, 'm' mark, 'a' accept
	seq  uint64
	want bool
}

func accept(seq uint64) windowOp { return windowOp{'a', seq, true} }
func reject(seq uint64) windowOp { return windowOp{'a', seq, false} }
func mark(seq uint64) windowOp   { return windowOp{'m', seq, false} }
func check(seq uint64, want bool) windowOp {
	return windowOp{'c', seq, want}
}

var windowTests = []struct {
	name string
	size int
	ops  []windowOp
}{
	{"in order", 64, []windowOp{
		accept(0), accept(1), accept(2), reject(0), reject(1), reject(2), accept(3),
	}},
	{"first record not zero", 64, []windowOp{
		accept(1000), accept(999), reject(1000), accept(1001), accept(938),
		reject(937), reject(0),
	}},
	{"reordered", 64, []windowOp{
		accept(5), accept(3), accept(4), reject(3), accept(1), accept(2), accept(0),
		reject(5), accept(6),
	}},
	{"check does not mark", 64, []windowOp{
		check(7, true), check(7, true), accept(7), check(7, false),
	}},
	{"left edge of 32", 32, []windowOp{
		// 32 is rounded up to 64.
		accept(100), accept(37), reject(36), accept(68), reject(68),
	}},
	{"left edge of 64", 64, []windowOp{
		accept(64), accept(1), reject(0), accept(128), reject(64), reject(1),
		accept(65), reject(65),
	}},
	{"left edge of 1024", 1024, []windowOp{
		accept(2000), accept(977), reject(976), accept(1500), reject(1500),
		accept(2001), reject(977), accept(978),
	}},
	{"size not a multiple of 64", 100, []windowOp{
		// 100 is rounded up to 128.
		accept(200), accept(73), reject(72),
	}},
	{"jump within the window keeps marks", 64, []windowOp{
		accept(10), accept(40), reject(10), accept(70), reject(10), reject(40),
		accept(11), accept(12),
	}},
	{"jump of a word boundary", 64, []windowOp{
		accept(63), accept(64), reject(63), accept(127), reject(63), reject(64),
		accept(128), reject(64), reject(127), accept(65),
	}},
	{"huge jump forgets everything", 64, []windowOp{
		accept(1), accept(2), accept(1 << 40), reject(1), reject(2), reject(1<<40 - 64),
		accept(1<<40 - 63), accept(1<<40 - 1), reject(1 << 40),
	}},
	// The ring has 2 words for a 64-entry window: seq 6, 70 and 134 share
	// bit 6 of their words, and a word coming back into use must be clear.
	{"word reused after one word", 64, []windowOp{
		accept(6), accept(70), accept(135), check(134, true), reject(70), accept(72),
	}},
	{"word reused after two words", 64, []windowOp{
		accept(6), accept(7), accept(135), check(134, true), accept(134), reject(134),
	}},
	{"seq 0 and MaxSeq", 64, []windowOp{
		accept(0), reject(0), accept(MaxSeq), reject(MaxSeq), reject(0),
		accept(MaxSeq - 1), accept(MaxSeq - 63), reject(MaxSeq - 64),
	}},
	{"beyond MaxSeq", 64, []windowOp{
		check(MaxSeq+1, false), mark(MaxSeq + 1), accept(5), check(MaxSeq+1, false),
	}},
	{"mark left of the window is ignored", 64, []windowOp{
		accept(200), mark(10), check(200, false), accept(199),
	}},
	{"mark without check", 64, []windowOp{
		mark(3), mark(3), check(3, false), check(2, true), check(4, true),
	}},
	{"disabled", 0, []windowOp{
		accept(5), accept(5), accept(0), accept(MaxSeq), accept(1), check(MaxSeq+1, true),
	}},
	{"negative size disables", -1, []windowOp{
		accept(5), accept(5),
	}},
}

func TestWindow(t *testing.T) {
	for _, tt := range windowTests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWindow(tt.size)
			for i, op := range tt.ops {
				switch op.op {
				case 'c', 'a':
					if got := w.Check(op.seq); got != op.want {
						t.Fatalf("op %d: Check(%d) = %v, want %v", i, op.seq, got, op.want)
					}
					if op.op == 'a' && op.want {
						w.Mark(op.seq)
					}
				case 'm':
					w.Mark(op.seq)
				}
			}
		})
	}
}

func TestWindowReset(t *testing.T) {
	w := NewWindow(64)
	for seq := range uint64(100) {
		w.Mark(seq)
	}
	w.Reset()
	for _, seq := range []uint64{0, 50, 99, 100, MaxSeq} {
		if !w.Check(seq) {
			t.Errorf("Check(%d) = false after Reset", seq)
		}
	}
	w.Mark(10)
	if w.Check(10) || !w.Check(9) || !w.Check(11) {
		t.Errorf("window after Reset and Mark(10) is wrong")
	}
}

// TestWindowModel runs random operations against a window and a map that
// remembers every sequence number, and compares what they accept.
func TestWindowModel(t *testing.T) {
	for _, size := range []int{1, 32, 64, 65, 100, 1024} {
		rng := rand.New(rand.NewPCG(uint64(size), 1))
		w := NewWindow(size)
		span := uint64((size + 63) / 64 * 64) // the size NewWindow rounds to
		seen := make(map[uint64]bool)
		var latest uint64
		for i := range 20000 {
			var seq uint64
			switch r := rng.IntN(10); {
			case r < 6: // around the right edge
				seq = (latest + 8 - min(latest+8, rng.Uint64N(span+16))) + rng.Uint64N(8)
			case r < 9: // a jump forward
				seq = latest + rng.Uint64N(4*span)
			default:
				seq = rng.Uint64N(latest + 1)
			}
			want := !seen[seq] && (latest < span || seq > latest-span)
			if len(seen) == 0 {
				want = true
			}
			if got := w.Check(seq); got != want {
				t.Fatalf("size %d, op %d: Check(%d) = %v, want %v (latest %d)", size, i, seq, got, want, latest)
			}
			if want {
				w.Mark(seq)
				seen[seq] = true
				latest = max(latest, seq)
			}
		}
	}
}

func TestWindowAllocs(t *testing.T) {
	w := NewWindow(64)
	var seq uint64
	allocs := testing.AllocsPerRun(1000, func() {
		if w.Check(seq) {
			w.Mark(seq)
		}
		seq += 3
	})
	if allocs != 0 {
		t.Errorf("Check and Mark allocate %v times", allocs)
	}
}

func TestNewWindowCaps(t *testing.T) {
	const huge = math.MaxInt // 1<<63 - 1, or 1<<31 - 1 on 32-bit systems
	w := NewWindow(huge)
	if w.size != maxWindowSize {
		t.Errorf("NewWindow(%d) covers %d, want %d", huge, w.size, maxWindowSize)
	}
}
