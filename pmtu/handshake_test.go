package pmtu

import (
	"slices"
	"testing"
	"time"
)

// TestBackoffLadder sends a handshake flight through a black hole again and
// again, each time at the size the last Backoff returned, and checks the
// sizes Backoff returns (RFC 6347 Section 4.1.1.1): one rung of the ladder
// per unanswered flight, whatever size the flight's datagrams had, down to
// the family's floor.
func TestBackoffLadder(t *testing.T) {
	v4, v6 := Config{Family: IPv4, Max: 1500}, Config{Family: IPv6, Max: 1500}
	tests := []struct {
		name    string
		cfg     Config
		ptb     MTU // a PTB before the first flight, or 0
		flight  MTU // the flight's largest datagram with no limit, 0 for full-size
		hole    MTU // the largest packet the path carries
		want    []MTU
		through bool // the flight gets through at the last size
	}{
		{"IPv4 1000-byte black hole", v4, 0, 0, 1000, []MTU{1400, 1280, 1200, 1000}, true},
		{"IPv4 600-byte black hole", v4, 0, 0, 600, []MTU{1400, 1280, 1200, 1000, 576}, true},
		{"IPv4 narrower than the floor", v4, 0, 0, 500, []MTU{1400, 1280, 1200, 1000, 576, 576}, false},
		{"IPv6 1000-byte black hole", v6, 0, 0, 1000, []MTU{1400, 1280, 1280, 1280}, false},
		{"IPv6 600-byte black hole", v6, 0, 0, 600, []MTU{1400, 1280, 1280}, false},
		{"IPv6 1300-byte black hole", v6, 0, 0, 1300, []MTU{1400, 1280}, true},
		// Datagrams already below BASE_PLPMTU still take a rung below them.
		{"IPv4 1100-byte datagrams, 600-byte black hole", v4, 0, 1100, 600, []MTU{1000, 576}, true},
		{"IPv4 1250-byte datagrams, 1000-byte black hole", v4, 0, 1250, 1000, []MTU{1200, 1000}, true},
		{"IPv4 jumbo interface", Config{Max: 9000}, 0, 0, 1000, []MTU{1500, 1400, 1280, 1200, 1000}, true},
		{"IPv4 Initial from the cache", Config{Max: 1500, Initial: 1400}, 0, 0, 1000, []MTU{1280, 1200, 1000}, true},
		{"IPv4 after a PTB", v4, 1450, 0, 1000, []MTU{1400, 1280, 1200, 1000}, true},
		{"IPv4 MIN_PLPMTU above the floor", Config{Max: 1500, Min: 1000}, 0, 0, 600, []MTU{1400, 1280, 1200, 1000, 1000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cfg, t0)
			if tt.ptb != 0 {
				s.PacketTooBig(tt.ptb, t0)
			}
			got := sendFlights(t, s, tt.flight, tt.hole, len(tt.want))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Backoff sizes %v, want %v", got, tt.want)
			}
			sent := s.PMTU()
			if tt.flight != 0 {
				sent = min(sent, tt.flight)
			}
			if (sent <= tt.hole) != tt.through {
				t.Fatalf("a flight of %d bytes through a %d-byte black hole: through %v, want %v", sent, tt.hole, sent <= tt.hole, tt.through)
			}
			if s.State() != Disabled || !s.Deadline().IsZero() && tt.ptb == 0 && tt.cfg.Initial == 0 {
				t.Fatalf("%v with deadline %v after Backoff", s.State(), s.Deadline())
			}
		})
	}
}

// sendFlights sends a flight through a path that carries up to hole bytes,
// at most n times, each time at PMTU (or in datagrams of flight bytes, if
// smaller and not 0), and returns what Backoff returned each time the
// flight was lost.
func sendFlights(t *testing.T, s *Search, flight, hole MTU, n int) []MTU {
	t.Helper()
	now := t0
	var got []MTU
	for range n {
		sent := s.PMTU()
		if flight != 0 {
			sent = min(sent, flight)
		}
		if sent <= hole {
			break // through
		}
		now = now.Add(time.Second)
		m := s.Backoff(sent, now)
		if m != s.PMTU() {
			t.Fatalf("Backoff returned %d, PMTU is %d", m, s.PMTU())
		}
		got = append(got, m)
	}
	return got
}

// TestBackoffSent checks the size Backoff starts from: the smaller of PMTU
// and the flight's largest datagram, and that it changes nothing outside the
// handshake.
func TestBackoffSent(t *testing.T) {
	tests := []struct {
		name       string
		run        func(d *driver)
		sent, want MTU
		state      State
	}{
		{"sent above PMTU: from PMTU", func(d *driver) {
			d.s.PacketTooBig(1300, d.now) // the flight went out at 1500 before the PTB
		}, 1500, 1280, Disabled},
		{"sent below every rung: unchanged", func(d *driver) {}, 300, 1500, Disabled},
		{"sent at the floor: unchanged", func(d *driver) {}, 576, 1500, Disabled},
		{"sent just above the floor: the floor", func(d *driver) {}, 577, 576, Disabled},
		{"PMTU below the floor: unchanged", func(d *driver) {
			*d = *newDriver(d.t, Config{Max: 1500, Min: 300})
			d.s.PacketTooBig(500, d.now)
		}, 1500, 500, Disabled},
		{"BASE", func(d *driver) { d.s.Start(d.now) }, 1500, 1200, Base},
		{"SEARCH_COMPLETE", func(d *driver) {
			d.s.Start(d.now)
			d.complete(1400)
		}, 1400, 1400, SearchComplete},
		{"connectivity lost", func(d *driver) {
			d.s.Start(d.now)
			d.loseN(1200, 3)
			d.loseN(576, 3)
		}, 576, 576, Disabled},
		{"fixed", func(d *driver) { d.s.SetFixed(1300, d.now) }, 1300, 1300, Disabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, ipv4)
			tt.run(d)
			if got := d.s.Backoff(tt.sent, d.now); got != tt.want {
				t.Errorf("Backoff(%d) = %d, want %d", tt.sent, got, tt.want)
			}
			d.want(tt.state, tt.want)
		})
	}
}

// TestStartAfterHandshake checks what Start makes of what the handshake
// learnt, then searches a path without ICMP whose MTU is at least the size
// the handshake confirmed. Throughout, PMTU stays at or above that size, and
// at or below the estimate at Start unless a larger probe was acknowledged;
// the search probes above the confirmed size first and ends at the path
// MTU.
func TestStartAfterHandshake(t *testing.T) {
	for _, tt := range handshakeTests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, tt.cfg)
			for _, f := range tt.handshake {
				f(d.s)
			}
			e := d.s.PMTU()
			d.s.Start(d.now)
			d.want(tt.state, tt.pmtu)
			if tt.probe != 0 {
				d.sendWant(tt.probe)
				d.s.ProbeLost(d.id, d.now) // as if the probe timer expired
			} else {
				d.noProbe()
			}
			p := simPath{mtu: tt.path, rtt: 10 * time.Millisecond}
			var r simResult
			r.note(d.s.State())
			for r.probes < 100 && d.s.State() != SearchComplete {
				if !p.step(d.s, &d.now, &r) {
					t.Fatalf("search stopped in %v at %d", d.s.State(), d.s.PMTU())
				}
				if got := d.s.PMTU(); got < tt.confirmed || got > max(e, r.acked) {
					t.Fatalf("PMTU %d in %v: outside [%d confirmed, max(%d at Start, %d acknowledged)]",
						got, d.s.State(), tt.confirmed, e, r.acked)
				}
			}
			d.want(SearchComplete, tt.path)
			t.Logf("from %d: %v, %d probes", e, r.states, r.probes)
		})
	}
}

// stepBackoff is a handshake step of handshakeTests: n flights of
// full-size datagrams go unanswered.
func stepBackoff(n int) func(s *Search) {
	return func(s *Search) {
		for range n {
			s.Backoff(s.PMTU(), t0)
		}
	}
}

// stepAcked is a handshake step: a datagram of m bytes is answered.
func stepAcked(m MTU) func(s *Search) { return func(s *Search) { s.SizeAcked(m, t0) } }

// stepPTB is a handshake step: a validated PTB reports m.
func stepPTB(m MTU) func(s *Search) { return func(s *Search) { s.PacketTooBig(m, t0) } }

// handshakeTests are the cases of TestStartAfterHandshake: what the
// handshake did, then where Start puts the search, and the path it then
// searches.
var handshakeTests = []struct {
	name      string
	cfg       Config
	handshake []func(s *Search)
	confirmed MTU // the size the handshake confirmed
	state     State
	pmtu      MTU
	probe     MTU // the first probe, or 0 for none
	path      MTU
}{
	{"nothing confirmed", ipv4, nil, 0, Base, 1200, 1200, 1400},
	{"BASE_PLPMTU confirmed", ipv4, []func(*Search){stepAcked(1400)}, 1400, Searching, 1400, 1500, 1450},
	{"less than BASE_PLPMTU confirmed, BASE_PLPMTU fails", ipv4,
		[]func(*Search){stepAcked(800)}, 800, Base, 1200, 1200, 1000},
	{"backed off to 1000, 1000 confirmed", ipv4,
		[]func(*Search){stepBackoff(4), stepAcked(1000)}, 1000, Searching, 1000, 1500, 1000},
	{"backed off to 1000, nothing confirmed", ipv4,
		[]func(*Search){stepBackoff(4)}, 0, Error, 576, 1000, 1000},
	{"backed off to 1000, 600 confirmed", ipv4,
		[]func(*Search){stepBackoff(4), stepAcked(600)}, 600, Searching, 600, 1000, 1100},
	{"backed off to 576, nothing confirmed", ipv4,
		[]func(*Search){stepBackoff(5)}, 0, Error, 576, 576, 700},
	{"confirmed above the estimate counts up to it", ipv4,
		[]func(*Search){stepAcked(1400), stepBackoff(2)}, 1280, Searching, 1280, 1500, 1400},
	{"PTB above BASE_PLPMTU", ipv4, []func(*Search){stepPTB(1400)}, 0, Base, 1200, 1200, 1400},
	{"PTB below BASE_PLPMTU", ipv4, []func(*Search){stepPTB(1000)}, 0, Error, 576, 1000, 1000},
	{"PTB below what was confirmed", ipv4,
		[]func(*Search){stepAcked(1500), stepPTB(1400)}, 1400, SearchComplete, 1400, 0, 1400},
	{"Initial from the cache", Config{Max: 1500, Initial: 1400}, nil, 0, Base, 1200, 1200, 1500},
	{"IPv6 backed off to the floor", Config{Family: IPv6, Max: 1500},
		[]func(*Search){stepBackoff(3)}, 0, Base, 1280, 1280, 1280},
}

// TestBlackHoleBelowBase checks that a search that completed below
// BASE_PLPMTU and then loses its confirmation probes goes to ERROR, not up
// to BASE_PLPMTU, which cannot get through a path that lost a smaller size.
func TestBlackHoleBelowBase(t *testing.T) {
	d := newDriver(t, ipv4)
	for range 4 {
		d.s.Backoff(d.s.PMTU(), d.now)
	}
	d.s.SizeAcked(1000, d.now)
	d.s.Start(d.now)
	d.complete(1000)
	d.timeout() // the confirmation timer
	d.loseN(1000, 3)
	d.want(Error, 576)
	d.sendWant(576)
	d.ack()
	d.want(Searching, 576)
	d.sendWant(999) // below the size that failed
}

// TestBasePTBKeepsConfirmed checks that a PTB below BASE_PLPMTU in BASE
// keeps a smaller size the handshake confirmed, and probes the PTB's size.
func TestBasePTBKeepsConfirmed(t *testing.T) {
	d := newDriver(t, ipv4)
	d.s.SizeAcked(800, d.now)
	d.s.Start(d.now)
	d.sendWant(1200)
	d.s.PacketTooBig(1000, d.now)
	d.want(Searching, 800)
	d.sendWant(1000)
	d.ack()
	d.want(SearchComplete, 1000)

	d = newDriver(t, ipv4)
	d.s.SizeAcked(800, d.now)
	d.s.Start(d.now)
	d.sendWant(1200)
	d.s.PacketTooBig(700, d.now) // below the confirmed size: it no longer holds
	d.want(Error, 576)
	d.sendWant(700)
}

// TestInitial checks Config.Initial: the first estimate, which the raise
// timer forgets, and which a search may go above.
func TestInitial(t *testing.T) {
	d := newDriver(t, Config{Max: 1500, Initial: 1400})
	d.want(Disabled, 1400)
	if m, ok := d.s.Learned(); ok {
		t.Fatalf("Learned = %d from Initial alone", m)
	}
	d.noProbe()
	if got, want := d.s.Deadline(), t0.Add(DefaultRaiseTimeout); !got.Equal(want) {
		t.Fatalf("deadline %v, want the raise timer at %v", got, want)
	}
	d.timeout()
	d.want(Disabled, 1500)
	if !d.s.Deadline().IsZero() {
		t.Fatalf("deadline %v after the raise timer", d.s.Deadline())
	}

	d = newDriver(t, Config{Max: 1500, Initial: 1400})
	d.s.PacketTooBig(1450, d.now) // not below the estimate
	d.want(Disabled, 1400)
	d.s.PacketTooBig(1300, d.now)
	d.want(Disabled, 1300)
	d.s.Start(d.now)
	d.sendWant(1200)
	d.ack()
	d.sendWant(1300) // the PTB's size, and nothing above it
	d.ack()
	d.want(SearchComplete, 1300)

	d = newDriver(t, Config{Max: 1500, Initial: 1400})
	d.s.Start(d.now)
	d.sendWant(1200)
	d.ack()
	d.sendWant(1400)
	d.ack()
	d.sendWant(1500) // Initial is no limit
	d.ack()
	d.want(SearchComplete, 1500)
}

// TestLearned checks what a path reports worth remembering for the next
// association.
func TestLearned(t *testing.T) {
	tests := []struct {
		name string
		run  func(d *driver)
		want MTU // 0: nothing
	}{
		{"nothing", func(d *driver) {}, 0},
		{"PTB before Start", func(d *driver) { d.s.PacketTooBig(1400, d.now) }, 1400},
		{"PTB, then the backoff ladder", func(d *driver) {
			d.s.PacketTooBig(1400, d.now)
			d.s.Backoff(1400, d.now)
		}, 1400},
		{"backoff ladder only", func(d *driver) { d.s.Backoff(1500, d.now) }, 0},
		{"local refusal only", func(d *driver) { d.s.MessageTooLong(1400, d.now) }, 0},
		{"PTB forgotten by the raise timer", func(d *driver) {
			d.s.PacketTooBig(1400, d.now)
			d.timeout()
		}, 0},
		{"BASE", func(d *driver) { d.s.Start(d.now) }, 0},
		{"SEARCHING", func(d *driver) { *d = *searching(d.t, ipv4) }, 0},
		{"SEARCH_COMPLETE", func(d *driver) {
			d.s.Start(d.now)
			d.complete(1400)
		}, 1400},
		{"SEARCH_COMPLETE below BASE_PLPMTU", func(d *driver) {
			d.s.PacketTooBig(1000, d.now)
			d.s.Start(d.now)
			d.complete(1000)
		}, 1000},
		{"SEARCH_COMPLETE, then fixed", func(d *driver) {
			d.s.Start(d.now)
			d.complete(1400)
			d.s.SetFixed(1300, d.now)
		}, 0},
		{"connectivity lost", func(d *driver) {
			d.s.PacketTooBig(1400, d.now)
			d.s.Start(d.now)
			d.loseN(1200, 3)
			d.loseN(576, 3)
			d.want(Disabled, 576)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, ipv4)
			tt.run(d)
			m, ok := d.s.Learned()
			if ok != (tt.want != 0) || m != tt.want {
				t.Errorf("Learned = %d, %v; want %d", m, ok, tt.want)
			}
		})
	}
}

// TestStartUnderCap checks that a cap in force at Start does not hide what
// the handshake found: a backoff below BASE_PLPMTU still means ERROR, so
// that raising the cap later does not put BASE_PLPMTU above the estimate;
// without a backoff, BASE follows the raised cap.
func TestStartUnderCap(t *testing.T) {
	d := newDriver(t, ipv4)
	for range 4 {
		d.s.Backoff(d.s.PMTU(), d.now) // to 1000
	}
	d.s.SetCap(576, d.now)
	d.s.Start(d.now)
	d.want(Error, 576)
	d.s.SetCap(0, d.now)
	d.want(Error, 576)
	d.sendWant(576)

	d = newDriver(t, ipv4)
	d.s.SetCap(576, d.now)
	d.s.Start(d.now)
	d.want(Base, 576)
	d.s.SetCap(0, d.now)
	d.want(Base, 1200)
	d.sendWant(1200)
}
