package pmtu

import (
	"encoding/binary"
	"testing"
	"time"
)

// Operations of FuzzSearch: one byte each, followed by a 16-bit argument.
const (
	opWait = iota
	opProbe
	opAck
	opLose
	opPTB
	opTooLong
	opCap
	opFixed
	opReset
	opStart
	opSizeAcked
	opSizeLost
	opBackoff
	opDeadline
	opAckUnknown
	numOps
)

// fuzzer runs one FuzzSearch input and checks the invariants after each step.
type fuzzer struct {
	t       *testing.T
	s       *Search
	now     time.Time
	cap     MTU
	pending []probe // probes handed out and not yet reported

	// What the handshake proved, for the invariants of the package
	// documentation's "Handshake sizes".
	acked MTU // before Start: the largest size acknowledged, within the limit
	// From the first Start on: the estimate e at Start, the confirmed size
	// a, and the largest size acknowledged since.
	e, a, ackedSince MTU
	bounded          bool // PMTU <= max(e, ackedSince) still holds
	floored          bool // PMTU >= a still holds
}

// FuzzSearch drives a Search with a random sequence of events, checking
// after each that the size stays within [MIN_PLPMTU, the cap], that no PTB
// raises it, that a probing state always has a probe to send, and, from the
// first Start on, that PMTU stays within what the handshake proved: not
// above the estimate at Start until a larger size is acknowledged, not below
// the size acknowledged before Start until a PTB, a local refusal, a loss, a
// cap or a black hole. Then it puts the path behind a black hole at a random
// size X (everything above X is lost, without ICMP) and checks that the
// search ends exactly at X, and that a completed search above X went through
// BASE, or ERROR when its size was below BASE_PLPMTU.
func FuzzSearch(f *testing.F) {
	f.Add([]byte{0, 0x05, 0xdc, 0x05, 0x78}) // no events, black hole at 1400
	f.Add(fuzzSeed(6, 1500, 1280, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opPTB, 1280, opProbe, 0, opAck, 0))
	f.Add(fuzzSeed(4, 9000, 1492, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opWait, 1000, opProbe, 0, opLose, 0, opProbe, 0, opAck, 0))
	f.Add(fuzzSeed(4, 1500, 1000, opPTB, 1400, opBackoff, 1400, opSizeAcked, 1280, opStart, 0, opProbe, 0, opAck, 0, opSizeLost, 1400))
	f.Add(fuzzSeed(4, 1500, 1000, opBackoff, 1500, opBackoff, 1400, opBackoff, 1280, opBackoff, 1200, opSizeAcked, 1000, opStart, 0, opProbe, 0, opLose, 0, opProbe, 0, opWait, 200, opProbe, 0, opAck, 0))
	f.Add(fuzzSeed(4, 1500, 600, opBackoff, 1100, opBackoff, 1000, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opWait, 200, opProbe, 0, opWait, 200))
	f.Add(fuzzSeed(4, 1001, 1000, opBackoff, 1001, opSizeAcked, 1000, opStart, 0, opProbe, 0, opLose, 0, opProbe, 0, opLose, 0, opProbe, 0, opLose, 0,
		opDeadline, 0, opProbe, 0, opLose, 0, opProbe, 0, opLose, 0, opProbe, 0, opLose, 0))
	f.Add(fuzzSeed(4, 1500, 900, opSizeAcked, 800, opStart, 0, opProbe, 0, opWait, 200, opProbe, 0, opWait, 200, opProbe, 0, opWait, 200, opProbe, 0, opAck, 0))
	f.Add(fuzzSeed(4, 1500, 1300, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opAck, 0, opDeadline, 0, opProbe, 0, opLose, 0, opSizeLost, 1500, opCap, 1400))
	f.Add(fuzzSeed(6, 1500, 1400, opCap, 1450, opFixed, 1300, opPTB, 1290, opFixed, 0, opTooLong, 1420, opStart, 0, opReset, 0, opAckUnknown, 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		cfg := Config{Family: IPv4, Max: MTU(binary.BigEndian.Uint16(data[1:3]))}
		if data[0]&2 != 0 {
			cfg.Family = IPv6
		}
		if data[0]&8 != 0 {
			cfg.Initial = cfg.Max - MTU(data[0]>>4)*64
		}
		z := &fuzzer{t: t, s: New(cfg, t0), now: t0}
		x := int(binary.BigEndian.Uint16(data[3:5]))
		ops := data[5:]
		for len(ops) >= 3 {
			z.do(ops[0]%numOps, int(binary.BigEndian.Uint16(ops[1:3])))
			ops = ops[3:]
		}
		z.blackHole(x)
	})
}

// fuzzSeed encodes a FuzzSearch input: the family, MAX_PLPMTU, the black
// hole size, and pairs of operation and argument.
func fuzzSeed(family byte, maxMTU, x int, ops ...int) []byte {
	b := []byte{family &^ 4}
	b = binary.BigEndian.AppendUint16(b, uint16(maxMTU))
	b = binary.BigEndian.AppendUint16(b, uint16(x))
	for i := 0; i+1 < len(ops); i += 2 {
		b = append(b, byte(ops[i]))
		b = binary.BigEndian.AppendUint16(b, uint16(ops[i+1]))
	}
	return b
}

func (z *fuzzer) do(op byte, arg int) {
	s := z.s
	before, from := s.PMTU(), s.State()
	z.lowering(op)
	switch op {
	case opWait:
		z.now = z.now.Add(time.Duration(arg) * 10 * time.Millisecond)
		s.Tick(z.now)
	case opProbe:
		z.probe()
	case opAck, opLose:
		if len(z.pending) == 0 {
			return
		}
		i := arg % len(z.pending)
		p := z.pending[i]
		z.pending = append(z.pending[:i], z.pending[i+1:]...)
		if op == opAck {
			z.ackedSince = max(z.ackedSince, p.size)
			s.ProbeAcked(p.id, z.now)
		} else {
			s.ProbeLost(p.id, z.now)
		}
	case opPTB:
		s.PacketTooBig(MTU(arg), z.now)
		if s.PMTU() > before {
			z.t.Fatalf("PTB %d raised PMTU from %d to %d", arg, before, s.PMTU())
		}
	case opTooLong:
		s.MessageTooLong(MTU(arg), z.now)
		if s.PMTU() > before {
			z.t.Fatalf("MessageTooLong %d raised PMTU from %d to %d", arg, before, s.PMTU())
		}
	case opCap:
		z.setCap(MTU(arg % 10000))
	default:
		z.other(op, MTU(arg))
	}
	z.check(from, before)
}

// lowering stops the invariants of what the handshake proved at the
// events that may lower the size below it, or do away with it.
func (z *fuzzer) lowering(op byte) {
	switch op {
	case opPTB, opTooLong, opSizeLost, opLose, opCap:
		z.floored = false
	case opReset:
		z.floored, z.bounded, z.acked = false, false, 0
	}
}

func (z *fuzzer) other(op byte, arg MTU) {
	s := z.s
	switch op {
	case opFixed:
		if arg%3 == 0 {
			arg = 0
		}
		s.SetFixed(arg, z.now)
	case opReset:
		s.Reset(z.now)
	case opStart:
		z.start()
	case opSizeAcked:
		if s.State() == Disabled && !s.started && s.Fixed() == 0 && arg >= s.cfg.Min {
			z.acked = max(z.acked, min(arg, s.limit()))
		}
		z.ackedSince = max(z.ackedSince, arg)
		s.SizeAcked(arg, z.now)
	case opSizeLost:
		s.SizeLost(arg, z.now)
	case opBackoff:
		before := s.PMTU()
		got := s.Backoff(arg, z.now)
		want := before
		if s.State() == Disabled && !s.started && s.Fixed() == 0 && arg > s.cfg.Family.Floor() {
			want = min(before, max(NextSmaller(s.cfg.Family, min(before, arg)), s.cfg.Min))
		}
		if got != want || got != s.PMTU() {
			z.t.Fatalf("Backoff(%d) from %d in %v: %d, PMTU %d; want %d", arg, before, s.State(), got, s.PMTU(), want)
		}
	case opDeadline:
		if d := s.Deadline(); d.After(z.now) {
			z.now = d
		}
		s.Tick(z.now)
	case opAckUnknown:
		s.ProbeAcked(uint64(arg)<<20, z.now)
	}
}

func (z *fuzzer) probe() {
	size, id, ok := z.s.NextProbe(z.now)
	if !ok {
		return
	}
	if size < z.s.cfg.Min || size > z.s.limit() {
		z.t.Fatalf("probe of %d bytes outside [%d, %d]", size, z.s.cfg.Min, z.s.limit())
	}
	if z.s.Deadline().IsZero() {
		z.t.Fatal("probe in flight without a deadline")
	}
	z.pending = append(z.pending, probe{id: id, size: size})
}

// start runs Start and, the first time, notes what the handshake proved:
// the estimate and the largest size acknowledged, up to the estimate.
func (z *fuzzer) start() {
	s := z.s
	first := s.State() == Disabled && !s.started && s.Fixed() == 0
	e, limited := s.pathEstimate(), s.PMTU() // a cap that hides e may be raised later
	s.Start(z.now)
	if !first {
		return
	}
	z.e, z.a, z.ackedSince = e, min(z.acked, limited), 0
	z.bounded, z.floored = true, true
}

func (z *fuzzer) setCap(mtu MTU) {
	z.s.SetCap(mtu, z.now)
	z.cap = 0
	if mtu > 0 {
		z.cap = max(mtu, z.s.cfg.Min)
	}
}

// check verifies that the size is within [MIN_PLPMTU, the cap] (a fixed
// size only within the cap), and within what the handshake proved; from
// and before are the state and PMTU before the step.
func (z *fuzzer) check(from State, before MTU) {
	s := z.s
	hi := s.cfg.Max
	if z.cap != 0 {
		hi = min(hi, z.cap)
	}
	p, lo := s.PMTU(), s.cfg.Min
	if s.Fixed() != 0 {
		lo = 1
	}
	if p < lo || p > hi {
		z.t.Fatalf("PMTU %d outside [%d, %d] in %v", p, s.cfg.Min, hi, s.State())
	}
	z.checkHandshake(from, before)
	switch st := s.State(); st {
	case Base, Searching, Error:
		// A probing state always has a probe to send or in flight.
		if !s.inFlight && s.fixed == 0 && s.probeSize() == 0 {
			z.t.Fatalf("%v at %d with nothing to probe", st, s.PMTU())
		}
	case Disabled, SearchComplete:
	default:
		z.t.Fatalf("state %v", st)
	}
}

// checkHandshake verifies the invariants of the package documentation's
// "Handshake sizes" while they hold: a black hole (SEARCHING or
// SEARCH_COMPLETE falling back to BASE or ERROR) and connectivity loss end
// them.
func (z *fuzzer) checkHandshake(from State, before MTU) {
	s := z.s
	if s.State() == Disabled {
		z.bounded, z.floored = false, false
	}
	if s.Fixed() != 0 {
		return
	}
	p := s.PMTU()
	if z.bounded && p > max(z.e, z.ackedSince) {
		z.t.Fatalf("PMTU %d in %v above the estimate %d at Start, with nothing larger than %d acknowledged since",
			p, s.State(), z.e, z.ackedSince)
	}
	if z.floored && p < z.a {
		if (from == Searching || from == SearchComplete) && (s.State() == Base || s.State() == Error) {
			z.floored = false // a black hole
			return
		}
		z.t.Fatalf("PMTU %d in %v (from %d) below the size %d the handshake confirmed", p, s.State(), before, z.a)
	}
}

// blackHole puts the path behind a black hole at a size derived from x and
// checks that the search ends there.
func (z *fuzzer) blackHole(arg int) {
	s := z.s
	s.SetFixed(0, z.now)
	z.bounded, z.floored = false, false // the path changes
	s.Start(z.now)
	ceiling := s.ceiling()
	x := s.cfg.Min + MTU(arg)%(ceiling-s.cfg.Min+1)
	startState, startPMTU := s.State(), s.PMTU()
	p := simPath{mtu: x, rtt: 10 * time.Millisecond}
	var r simResult
	end := z.now.Add(3*s.cfg.RaiseTimeout + 100*s.cfg.ProbeTimeout)
	for steps := 0; z.now.Before(end) || s.State() != SearchComplete; steps++ {
		if steps == 10000 {
			z.t.Fatalf("black hole at %d: no end after %d steps: %v at %d", x, steps, s.State(), s.PMTU())
		}
		if !p.step(s, &z.now, &r) {
			break
		}
		z.check(s.State(), s.PMTU())
	}
	if s.State() != SearchComplete || s.PMTU() != x {
		z.t.Fatalf("black hole at %d (ceiling %d): ended in %v with PMTU %d; from %v at %d",
			x, ceiling, s.State(), s.PMTU(), startState, startPMTU)
	}
	if startState == SearchComplete && startPMTU > x && !r.visited(Base) && !r.visited(Error) {
		z.t.Fatalf("black hole at %d from SEARCH_COMPLETE at %d: did not pass through BASE or ERROR: %v", x, startPMTU, r.states)
	}
}
