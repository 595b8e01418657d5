package pmtu

import (
	"testing"
	"time"
)

// TestProbeCounts finds the exact path MTU on paths with no random loss,
// with a router that reports PTB and through a black hole, and reports how
// many probes and how much time (at a 10 ms round trip and the default 1 s
// probe timer) each search took.
func TestProbeCounts(t *testing.T) {
	tests := []struct {
		mtu, max MTU
		// Upper bounds on probes: with PTB, and through a black hole.
		ptbProbes, holeProbes int
	}{
		{1280, 1500, 3, 10},
		{1350, 1500, 3, 16},
		{1400, 1500, 3, 10},
		{1492, 1500, 3, 10},
		{1500, 1500, 2, 2},
		{1280, 9000, 3, 12},
		{1400, 9000, 3, 12},
		{1500, 9000, 3, 12},
		{9000, 9000, 2, 2},
	}
	for _, tt := range tests {
		for _, fam := range []Family{IPv4, IPv6} {
			for _, icmp := range []bool{true, false} {
				s := started(Config{Family: fam, Max: tt.max})
				now := t0
				p := simPath{mtu: tt.mtu, icmp: icmp, rtt: 10 * time.Millisecond}
				r := p.search(t, s, &now, 100)
				if s.PMTU() != tt.mtu {
					t.Errorf("%v max %d path %d icmp %v: PMTU %d", fam, tt.max, tt.mtu, icmp, s.PMTU())
				}
				bound := tt.holeProbes
				if icmp {
					bound = tt.ptbProbes
				}
				if r.probes > bound {
					t.Errorf("%v max %d path %d icmp %v: %d probes, want at most %d", fam, tt.max, tt.mtu, icmp, r.probes, bound)
				}
				t.Logf("%v max %5d path %5d icmp %-5v: %2d probes (%2d lost, %d PTB) in %v",
					fam, tt.max, tt.mtu, icmp, r.probes, r.lost, r.ptbs, r.elapsed)
			}
		}
	}
}

// TestPathShrinks completes a search at 1500, then narrows the path to 1280
// and checks how the size follows: with ICMP, a PTB for the next datagram
// starts the search at once; without, the confirmation probes find the black
// hole, the size falls through BASE, and the search finds 1280 again.
func TestPathShrinks(t *testing.T) {
	for _, fam := range []Family{IPv4, IPv6} {
		for _, icmp := range []bool{true, false} {
			s := started(Config{Family: fam, Max: 1500})
			now := t0
			simPath{mtu: 1500, rtt: 10 * time.Millisecond}.search(t, s, &now, 10)
			p := simPath{mtu: 1280, icmp: icmp, rtt: 10 * time.Millisecond}
			start := now
			if icmp {
				s.PacketTooBig(1280, now) // a data datagram of 1500 bytes hit the router
			}
			var r simResult
			r.note(s.State())
			for r.probes < 50 && (s.State() != SearchComplete || s.PMTU() != 1280) {
				if !p.step(s, &now, &r) {
					t.Fatalf("%v icmp %v: stopped in %v", fam, icmp, s.State())
				}
			}
			if s.PMTU() != 1280 {
				t.Fatalf("%v icmp %v: PMTU %d", fam, icmp, s.PMTU())
			}
			if !icmp && !r.visited(Base) {
				t.Errorf("%v: black hole did not pass through BASE: %v", fam, r.states)
			}
			t.Logf("%v icmp %-5v: 1500 → 1280 after %2d probes (%d lost) in %v: %v",
				fam, icmp, r.probes, r.lost, now.Sub(start), r.states)
		}
	}
}
