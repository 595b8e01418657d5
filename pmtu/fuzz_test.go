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
	cap     int
	pending []probe // probes handed out and not yet reported
}

// FuzzSearch drives a Search with a random sequence of events, checking
// after each that the size stays within [MIN_PLPMTU, the cap], that no PTB
// raises it, and that a probing state always has a probe to send. Then it puts the path behind a black hole at a random size X
// (everything above X is lost, without ICMP) and checks that the search ends
// exactly at X, and that a completed search above X went through BASE.
func FuzzSearch(f *testing.F) {
	f.Add([]byte{0, 0x05, 0xdc, 0x05, 0x78}) // no events, black hole at 1400
	f.Add(fuzzSeed(6, 1500, 1280, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opPTB, 1280, opProbe, 0, opAck, 0))
	f.Add(fuzzSeed(4, 9000, 1492, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opWait, 1000, opProbe, 0, opLose, 0, opProbe, 0, opAck, 0))
	f.Add(fuzzSeed(4, 1500, 1000, opPTB, 1400, opBackoff, 0, opSizeAcked, 1280, opStart, 0, opProbe, 0, opAck, 0, opSizeLost, 1400))
	f.Add(fuzzSeed(4, 1500, 1300, opStart, 0, opProbe, 0, opAck, 0, opProbe, 0, opAck, 0, opDeadline, 0, opProbe, 0, opLose, 0, opSizeLost, 1500, opCap, 1400))
	f.Add(fuzzSeed(6, 1500, 1400, opCap, 1450, opFixed, 1300, opPTB, 1290, opFixed, 0, opTooLong, 1420, opStart, 0, opReset, 0, opAckUnknown, 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		cfg := Config{Family: IPv4, Max: int(binary.BigEndian.Uint16(data[1:3]))}
		if data[0]&2 != 0 {
			cfg.Family = IPv6
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
	before := s.PMTU()
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
			s.ProbeAcked(p.id, z.now)
		} else {
			s.ProbeLost(p.id, z.now)
		}
	case opPTB:
		s.PacketTooBig(arg, z.now)
		if s.PMTU() > before {
			z.t.Fatalf("PTB %d raised PMTU from %d to %d", arg, before, s.PMTU())
		}
	case opTooLong:
		s.MessageTooLong(arg, z.now)
		if s.PMTU() > before {
			z.t.Fatalf("MessageTooLong %d raised PMTU from %d to %d", arg, before, s.PMTU())
		}
	case opCap:
		z.setCap(arg % 10000)
	default:
		z.other(op, arg)
	}
	z.check()
}

func (z *fuzzer) other(op byte, arg int) {
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
		s.Start(z.now)
	case opSizeAcked:
		s.SizeAcked(arg, z.now)
	case opSizeLost:
		s.SizeLost(arg, z.now)
	case opBackoff:
		s.Backoff(z.now)
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

func (z *fuzzer) setCap(mtu int) {
	z.s.SetCap(mtu, z.now)
	z.cap = 0
	if mtu > 0 {
		z.cap = max(mtu, z.s.cfg.Min)
	}
}

// check verifies that the size is within [MIN_PLPMTU, the cap].
func (z *fuzzer) check() {
	s := z.s
	hi := s.cfg.Max
	if z.cap != 0 {
		hi = min(hi, z.cap)
	}
	if p := s.PMTU(); p < s.cfg.Min || p > hi {
		z.t.Fatalf("PMTU %d outside [%d, %d] in %v", p, s.cfg.Min, hi, s.State())
	}
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

// blackHole puts the path behind a black hole at a size derived from x and
// checks that the search ends there.
func (z *fuzzer) blackHole(x int) {
	s := z.s
	s.SetFixed(0, z.now)
	s.Start(z.now)
	ceiling := s.ceiling()
	x = s.cfg.Min + x%(ceiling-s.cfg.Min+1)
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
		z.check()
	}
	if s.State() != SearchComplete || s.PMTU() != x {
		z.t.Fatalf("black hole at %d (ceiling %d): ended in %v with PMTU %d; from %v at %d",
			x, ceiling, s.State(), s.PMTU(), startState, startPMTU)
	}
	if startState == SearchComplete && startPMTU > x && !r.visited(Base) {
		z.t.Fatalf("black hole at %d from SEARCH_COMPLETE at %d: did not pass through BASE: %v", x, startPMTU, r.states)
	}
}
