package pmtu

import (
	"testing"
	"time"
)

// TestPTBDiscarded checks the PTB messages RFC 8899 Section 4.6.2 says to
// discard: they change neither the state, the size, nor the probe in flight.
func TestPTBDiscarded(t *testing.T) {
	tests := []struct {
		name string
		mtu  MTU
	}{
		{"PL_PTB_SIZE < MIN_PLPMTU", 575},
		{"PL_PTB_SIZE = PROBED_SIZE", 1500},
		{"PL_PTB_SIZE > PROBED_SIZE", 9000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := searching(t, ipv4)
			d.sendWant(1500)
			d.s.PacketTooBig(tt.mtu, d.now)
			d.want(Searching, 1200)
			d.noProbe() // 1500 still in flight
			d.ack()
			d.want(SearchComplete, 1500)
		})
	}
}

// TestPTBNeverRaises sends PTBs of every size around the current one, with
// no probe in flight: a forged-looking PTB, at or above PLPMTU, changes
// nothing; none raises the size.
func TestPTBNeverRaises(t *testing.T) {
	for _, st := range []State{Disabled, Searching, SearchComplete} {
		for mtu := MTU(1300); mtu <= 1600; mtu += 50 {
			d := newDriver(t, ipv4)
			switch st {
			case Searching:
				d = searching(t, ipv4)
				d.loseN(1500, 1)
				d.sendWant(1440)
				d.ack()
			case SearchComplete:
				d.s.Start(d.now)
				d.complete(1400)
			}
			before := d.s.PMTU()
			d.s.PacketTooBig(mtu, d.now)
			if got := d.s.PMTU(); got > before || (mtu >= before && got != before) {
				t.Errorf("%v: PTB %d moved PMTU from %d to %d", st, mtu, before, got)
			}
		}
	}
}

// TestDisabled checks the estimate of the Disabled state, which a handshake
// uses before any probe can be sent (RFC 1191, RFC 8201).
func TestDisabled(t *testing.T) {
	t.Run("PTB lowers the estimate until the raise timer", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.want(Disabled, 1500)
		d.s.PacketTooBig(1400, d.now)
		d.want(Disabled, 1400)
		d.s.PacketTooBig(1450, d.now) // not below: ignored
		d.want(Disabled, 1400)
		d.noProbe()
		if got, want := d.s.Deadline(), t0.Add(DefaultRaiseTimeout); !got.Equal(want) {
			t.Fatalf("deadline %v, want %v", got, want)
		}
		d.timeout()
		d.want(Disabled, 1500)
		if !d.s.Deadline().IsZero() {
			t.Fatalf("deadline %v, want none", d.s.Deadline())
		}
	})
	t.Run("local EMSGSIZE lowers the estimate until the raise timer", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.s.MessageTooLong(1480, d.now)
		d.want(Disabled, 1480)
		d.timeout()
		d.want(Disabled, 1500)
	})
	t.Run("Backoff goes down the ladder, stays, and runs no timer", func(t *testing.T) {
		d := newDriver(t, ipv4)
		for _, want := range []MTU{1400, 1280, 1200, 1000, 576, 576} {
			if got := d.s.Backoff(d.s.PMTU(), d.now); got != want {
				t.Fatalf("Backoff = %d, want %d", got, want)
			}
		}
		if !d.s.Deadline().IsZero() {
			t.Fatalf("deadline %v, want none", d.s.Deadline())
		}
	})
	t.Run("Start probes the PTB size of the handshake first", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.s.PacketTooBig(1400, d.now)
		d.s.Start(d.now)
		d.sendWant(1200)
		d.ack()
		d.sendWant(1400)
		d.ack()
		d.want(SearchComplete, 1400)
	})
	t.Run("Backoff does nothing while probing", func(t *testing.T) {
		d := searching(t, ipv4)
		if got := d.s.Backoff(1200, d.now); got != 1200 {
			t.Fatalf("Backoff = %d, want 1200", got)
		}
		d.want(Searching, 1200)
	})
}

// TestLimits checks the cap, the fixed size and the local limit.
func TestLimits(t *testing.T) {
	t.Run("SetCap lowers a completed search and removing it searches again", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.s.Start(d.now)
		d.complete(1500)
		d.s.SetCap(1400, d.now)
		d.want(SearchComplete, 1400)
		d.s.SetCap(0, d.now)
		d.want(Searching, 1400)
		d.sendWant(1500)
	})
	t.Run("SetCap below MIN_PLPMTU stops at MIN_PLPMTU", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.s.SetCap(100, d.now)
		d.want(Disabled, 576)
	})
	t.Run("SetCap forgets a larger probe in flight", func(t *testing.T) {
		d := searching(t, ipv4)
		d.sendWant(1500)
		d.s.SetCap(1450, d.now)
		d.sendWant(1450)
	})
	t.Run("SetFixed stops probing and ignores hints", func(t *testing.T) {
		d := searching(t, ipv4)
		d.s.SetFixed(1300, d.now)
		d.want(Searching, 1300)
		d.noProbe()
		d.s.PacketTooBig(1000, d.now)
		d.s.MessageTooLong(1000, d.now)
		d.s.SizeLost(1300, d.now)
		d.s.Backoff(1300, d.now)
		d.want(Searching, 1300)
		if !d.s.Deadline().IsZero() {
			t.Fatalf("deadline %v in fixed mode", d.s.Deadline())
		}
		d.s.SetFixed(0, d.now)
		d.want(Searching, 1200)
		d.sendWant(1500)
	})
	t.Run("SetFixed stays within the cap", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.s.SetFixed(9000, d.now)
		d.want(Disabled, 1500)
	})
	t.Run("MessageTooLong while searching", func(t *testing.T) {
		d := searching(t, ipv4)
		d.sendWant(1500)
		d.s.MessageTooLong(1480, d.now)
		d.sendWant(1480) // at once: the 1500 probe was never sent
		d.ack()
		d.want(SearchComplete, 1480)
	})
	t.Run("MessageTooLong below PLPMTU lowers it at once", func(t *testing.T) {
		d := newDriver(t, ipv4)
		d.s.Start(d.now)
		d.complete(1500)
		d.s.MessageTooLong(1400, d.now)
		d.want(SearchComplete, 1400)
	})
}

// TestFixedAndCap checks that Fixed and Cap read back what SetFixed and
// SetCap set, as the limits bound each other.
func TestFixedAndCap(t *testing.T) {
	d := newDriver(t, ipv4)
	if d.s.Fixed() != 0 || d.s.Cap() != 0 {
		t.Fatalf("Fixed %d, Cap %d at first; want 0, 0", d.s.Fixed(), d.s.Cap())
	}
	steps := []struct {
		cap, fixed         MTU // what to set; -1: leave
		wantCap, wantFixed MTU
		wantPMTU           MTU
	}{
		{1400, -1, 1400, 0, 1400},
		{-1, 1300, 1400, 1300, 1300},
		{1200, -1, 1200, 1200, 1200}, // a lower cap lowers the fixed size
		{100, -1, 576, 576, 576},     // a cap below Config.Min is raised to it
		{0, -1, 0, 576, 576},         // removing the cap keeps the fixed size
		{-1, 0, 0, 0, 1500},
	}
	for i, st := range steps {
		if st.cap >= 0 {
			d.s.SetCap(st.cap, d.now)
		}
		if st.fixed >= 0 {
			d.s.SetFixed(st.fixed, d.now)
		}
		if d.s.Cap() != st.wantCap || d.s.Fixed() != st.wantFixed || d.s.PMTU() != st.wantPMTU {
			t.Errorf("step %d: Cap %d, Fixed %d, PMTU %d; want %d, %d, %d",
				i, d.s.Cap(), d.s.Fixed(), d.s.PMTU(), st.wantCap, st.wantFixed, st.wantPMTU)
		}
	}
}

// TestReset checks that Reset forgets the path and that acknowledgments of
// probes sent before it are ignored.
func TestReset(t *testing.T) {
	d := searching(t, ipv4)
	d.sendWant(1500)
	old := d.id
	d.s.Reset(d.now)
	d.want(Base, 1200)
	d.s.ProbeAcked(old, d.now)
	d.want(Base, 1200)
	d.sendWant(1200)

	d = newDriver(t, Config{Max: 1500, Initial: 1400})
	d.s.PacketTooBig(1300, d.now)
	d.s.Backoff(1300, d.now)
	d.s.Reset(d.now)
	d.want(Disabled, 1500)
	if m, ok := d.s.Learned(); ok {
		t.Errorf("Learned = %d after Reset", m)
	}
}

// TestLateAck checks that a probe acknowledged after its timer expired still
// counts as a size that gets through.
func TestLateAck(t *testing.T) {
	d := searching(t, ipv4)
	d.sendWant(1500)
	d.timeout()
	d.sendWant(1440)
	d.s.ProbeAcked(d.id-1, d.now) // the 1500 probe, late
	d.want(SearchComplete, 1500)
	d.s.ProbeAcked(d.id-1, d.now) // twice: ignored
	d.s.ProbeAcked(12345, d.now)  // never sent: ignored
	d.want(SearchComplete, 1500)
}

// TestProbeLostEarly checks ProbeLost before the probe timer.
func TestProbeLostEarly(t *testing.T) {
	d := searching(t, ipv4)
	d.sendWant(1500)
	d.s.ProbeLost(d.id, d.now)
	d.sendWant(1440)
	d.s.ProbeLost(d.id+7, d.now) // unknown: ignored
	d.noProbe()
}

// TestMaxPayload checks the payload arithmetic for both families.
func TestMaxPayload(t *testing.T) {
	tests := []struct {
		fam      Family
		overhead int
		want     int
	}{
		{IPv4, 0, 1472},
		{IPv4, 13 + 8 + 16, 1435},
		{IPv6, 0, 1452},
		{IPv6, 13 + 8 + 16, 1415},
		{IPv4, 5000, 0},
	}
	for _, tt := range tests {
		s := New(Config{Family: tt.fam, Max: 1500}, t0)
		if got := s.MaxPayload(tt.overhead); got != tt.want {
			t.Errorf("%v MaxPayload(%d) = %d, want %d", tt.fam, tt.overhead, got, tt.want)
		}
	}
}

// TestChanged checks the change notification.
func TestChanged(t *testing.T) {
	d := newDriver(t, ipv4)
	if d.s.Changed() {
		t.Fatal("Changed after New")
	}
	d.s.PacketTooBig(1400, d.now)
	if !d.s.Changed() {
		t.Fatal("not Changed after a PTB lowered the estimate")
	}
	if d.s.Changed() {
		t.Fatal("Changed twice")
	}
	d.s.PacketTooBig(1450, d.now)
	if d.s.Changed() {
		t.Fatal("Changed by an ignored PTB")
	}
}

// TestRandomLoss runs searches with 10% random loss of probes: the size never
// exceeds the path MTU, and is almost always exact.
func TestRandomLoss(t *testing.T) {
	exact, runs, probes := 0, 0, 0
	for _, mtu := range []MTU{1280, 1350, 1400, 1492, 1500} {
		for seed := range uint64(100) {
			rng := newTestRand(seed)
			s := started(ipv4)
			now := t0
			p := simPath{mtu: mtu, rtt: 10 * time.Millisecond, lose: func(int) bool { return rng.next()%10 == 0 }}
			r := p.search(t, s, &now, 200)
			runs++
			probes += r.probes
			if s.PMTU() > mtu {
				t.Fatalf("path %d seed %d: PMTU %d", mtu, seed, s.PMTU())
			}
			if s.PMTU() == mtu {
				exact++
			}
		}
	}
	t.Logf("%d of %d searches exact with 10%% loss, %.1f probes on average", exact, runs, float64(probes)/float64(runs))
	if exact < runs*95/100 {
		t.Errorf("only %d of %d searches exact", exact, runs)
	}
}

// testRand is a small deterministic generator (SplitMix64) for tests.
type testRand struct{ x uint64 }

func newTestRand(seed uint64) *testRand { return &testRand{seed} }

func (r *testRand) next() uint64 {
	r.x += 0x9e3779b97f4a7c15
	z := r.x
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
