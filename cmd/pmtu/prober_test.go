package main

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/pmtu"
)

// fakePath is a link over a simulated path, for tests in a synctest
// bubble: a probe that fits every link reaches the host, which answers
// after rtt; a larger one is dropped by the first router whose next link
// is too narrow, which reports it if icmp is set.
type fakePath struct {
	family    pmtu.Family
	links     []int // the MTU of each link after the first, in order
	icmp      bool
	local     int                   // larger sends are refused; 0 for no limit
	rtt       time.Duration         // round-trip time to the host
	lose      func(seq uint32) bool // drops probe seq; may be nil
	unreach   bool                  // the host is unreachable: a router says so
	limited   *linuxLimit           // the host answers from a closed port, rate-limited
	out       chan answer           // made in the synctest bubble
	sent      []int                 // the IP size of each probe sent
	sentAt    []time.Time           // and when
	refusedAt int                   // the size of the last local refusal
}

func newFakePath(f pmtu.Family, links ...int) *fakePath {
	return &fakePath{family: f, links: links, rtt: time.Millisecond}
}

func (p *fakePath) send(seq uint32, n int) error {
	size := int(p.family.MTU(n))
	if p.local != 0 && size > p.local {
		p.refusedAt = size
		return &sock.TooLongError{MTU: p.local}
	}
	p.sent = append(p.sent, size)
	p.sentAt = append(p.sentAt, time.Now())
	if p.lose != nil && p.lose(seq) {
		return nil
	}
	router := netip.MustParseAddr("192.0.2.1")
	if p.unreach {
		ev := icmp.Event{Kind: icmp.KindHostUnreachable, Type: 3, Code: 1, Reporter: router}
		p.later(p.rtt/2, answer{kind: answerUnreachable, seq: seq, ev: ev})
		return nil
	}
	for i, mtu := range p.links {
		if size <= mtu {
			continue
		}
		if p.icmp {
			router = netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})
			ev := icmp.Event{Kind: icmp.KindFragNeeded, Type: 3, Code: 4, MTU: mtu, Reporter: router}
			p.later(p.rtt/2, answer{kind: answerTooBig, seq: seq, ev: ev})
		}
		return nil
	}
	if p.limited == nil {
		p.later(p.rtt, answer{kind: answerReached, seq: seq, echo: true})
	} else if p.limited.allow(time.Now().Add(p.rtt / 2)) {
		ev := icmp.Event{Kind: icmp.KindPortUnreachable, Type: 3, Code: 3, Reporter: netip.MustParseAddr("198.18.1.2")}
		p.later(p.rtt, answer{kind: answerReached, seq: seq, ev: ev})
	}
	return nil
}

// linuxLimit is the rate limit of Linux's ICMP errors per destination
// (inet_peer_xrlim_allow): a bucket of milliseconds that fills with time,
// up to 6 seconds' worth, and pays 1000 for each message.
type linuxLimit struct {
	tokens time.Duration
	last   time.Time
}

func newLinuxLimit() *linuxLimit { return &linuxLimit{tokens: 6 * time.Second} }

func (l *linuxLimit) allow(now time.Time) bool {
	if !l.last.IsZero() {
		l.tokens = min(l.tokens+now.Sub(l.last), 6*time.Second)
	}
	l.last = now
	if l.tokens >= time.Second {
		l.tokens -= time.Second
		return true
	}
	return false
}

// later delivers a after d.
func (p *fakePath) later(d time.Duration, a answer) {
	time.AfterFunc(d, func() {
		a.at = time.Now()
		p.out <- a
	})
}

func (p *fakePath) answers() <-chan answer { return p.out }

// runFake runs a search over path with the first link at hi, in a synctest
// bubble, and returns the prober and the outcome.
func runFake(t *testing.T, path *fakePath, hi int, setup func(*prober)) (*prober, time.Duration, error) {
	t.Helper()
	var (
		p    *prober
		err  error
		took time.Duration
	)
	synctest.Test(t, func(t *testing.T) {
		path.out = make(chan answer, 64)
		start := time.Now()
		p = newProber(path, pmtu.Config{Family: path.family, Max: pmtu.MTU(hi)}, start)
		if setup != nil {
			setup(p)
		}
		err = p.run(context.Background(), start.Add(time.Minute))
		took = time.Since(start)
		synctest.Wait() // let late deliveries finish inside the bubble
	})
	return p, took, err
}

func TestProberFindsPathMTU(t *testing.T) {
	tests := []struct {
		name     string
		path     *fakePath
		pace     bool
		want     int
		wantICMP bool
	}{
		{name: "unconstrained", path: newFakePath(pmtu.IPv4, 1500), want: 1500},
		{name: "icmp/1400", path: withICMP(newFakePath(pmtu.IPv4, 1400)), want: 1400, wantICMP: true},
		{name: "icmp/two-routers", path: withICMP(newFakePath(pmtu.IPv4, 1400, 1280)), want: 1280, wantICMP: true},
		{name: "icmp/ipv6/1280", path: withICMP(newFakePath(pmtu.IPv6, 1280)), want: 1280, wantICMP: true},
		{name: "blackhole/1400", path: newFakePath(pmtu.IPv4, 1400), want: 1400},
		{name: "blackhole/1357", path: newFakePath(pmtu.IPv4, 1357), want: 1357},
		{name: "blackhole/closed-port/1357", path: withLimit(newFakePath(pmtu.IPv4, 1357)), pace: true, want: 1357},
		{name: "blackhole/closed-port/ipv6/1499", path: withLimit(newFakePath(pmtu.IPv6, 1499)), pace: true, want: 1499},
		{name: "blackhole/closed-port/loss", path: withLoss(withLimit(newFakePath(pmtu.IPv4, 1357)), func(seq uint32) bool { return seq%4 == 2 }), pace: true, want: 1357},
		{name: "icmp/closed-port/1357", path: withICMP(withLimit(newFakePath(pmtu.IPv4, 1400, 1357))), pace: true, want: 1357, wantICMP: true},
		{name: "blackhole/ipv6/1280", path: newFakePath(pmtu.IPv6, 1280), want: 1280},
		{name: "blackhole/below-base/1100", path: newFakePath(pmtu.IPv4, 1100), want: 1100},
		{name: "loss/every-third", path: withLoss(newFakePath(pmtu.IPv4, 1400), func(seq uint32) bool { return seq%3 == 0 }), want: 1400},
		{name: "slow/late-answers", path: withRTT(newFakePath(pmtu.IPv4, 1400), 1500*time.Millisecond), want: 1400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, took, err := runFake(t, tt.path, 1500, func(p *prober) { p.pace = tt.pace })
			if err != nil {
				t.Fatalf("run: %v; probes %v", err, tt.path.sent)
			}
			r := p.result(p.start.Add(took), nil)
			t.Logf("%d probes in %v: %v", r.ProbeCount, took, tt.path.sent)
			if r.PathMTU != tt.want || r.MaxUDPPayload != p.family.Payload(pmtu.MTU(tt.want)) {
				t.Errorf("path MTU %d, payload %d; want %d", r.PathMTU, r.MaxUDPPayload, tt.want)
			}
			if r.ICMPSeen != tt.wantICMP {
				t.Errorf("ICMP seen %v; want %v", r.ICMPSeen, tt.wantICMP)
			}
			if r.ProbeCount != len(tt.path.sent) {
				t.Errorf("%d probes counted, %d sent", r.ProbeCount, len(tt.path.sent))
			}
		})
	}
}

func withICMP(p *fakePath) *fakePath                         { p.icmp = true; return p }
func withLoss(p *fakePath, lose func(uint32) bool) *fakePath { p.lose = lose; return p }
func withRTT(p *fakePath, rtt time.Duration) *fakePath       { p.rtt = rtt; return p }
func withLocal(p *fakePath, mtu int) *fakePath               { p.local = mtu; return p }
func withUnreachable(p *fakePath) *fakePath                  { p.unreach = true; return p }
func withLimit(p *fakePath) *fakePath                        { p.limited = newLinuxLimit(); return p }
func sizesOf(records []*probeRecord) (out []int) {
	return mapRecords(records, func(r *probeRecord) int { return r.size })
}
func resultsOf(records []*probeRecord) (out []string) {
	return mapRecords(records, func(r *probeRecord) string { return r.result })
}
func mapRecords[T any](rs []*probeRecord, f func(*probeRecord) T) []T {
	out := make([]T, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// TestProberICMPTrace checks the exact probes of a search that ICMP
// guides: BASE, the interface MTU, then the reported size.
func TestProberICMPTrace(t *testing.T) {
	path := withICMP(newFakePath(pmtu.IPv4, 1400))
	p, _, err := runFake(t, path, 1500, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSizes := []int{1200, 1500, 1400}
	wantResults := []string{resultReached, resultTooBig, resultReached}
	if got := sizesOf(p.probes); !slices.Equal(got, wantSizes) {
		t.Errorf("sizes %v; want %v", got, wantSizes)
	}
	if got := resultsOf(p.probes); !slices.Equal(got, wantResults) {
		t.Errorf("results %v; want %v", got, wantResults)
	}
	if r := p.probes[1]; r.hint != 1400 || r.from != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("too-big probe: hint %d from %v; want 1400 from 192.0.2.1", r.hint, r.from)
	}
}

// TestProberPacing checks that in closed-port mode a size that went
// unanswered is repeated only rateLimitGap after the host's last answer.
func TestProberPacing(t *testing.T) {
	path := withLimit(newFakePath(pmtu.IPv4, 1400))
	p, _, err := runFake(t, path, 1500, func(p *prober) { p.pace = true })
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[int]bool)
	var lastAnswer time.Time
	for i, r := range p.probes {
		if seen[r.size] && r.sent.Sub(lastAnswer) < rateLimitGap {
			t.Errorf("probe %d repeats %d bytes %v after the last answer; want at least %v", i+1, r.size, r.sent.Sub(lastAnswer), rateLimitGap)
		}
		seen[r.size] = true
		if r.result == resultReached {
			lastAnswer = r.sent.Add(r.rtt)
		}
	}
}

func TestHostBudget(t *testing.T) {
	var b hostBudget
	now := time.Unix(1e9, 0)
	for i := range hostBurst {
		if at := b.ready(now); !at.Equal(now) {
			t.Fatalf("answer %d of the burst: ready at %v; want at once", i+1, at.Sub(now))
		}
		b.spend(now)
	}
	if at := b.ready(now); at.Sub(now) != rateLimitGap {
		t.Errorf("after the burst: ready in %v; want %v", at.Sub(now), rateLimitGap)
	}
	now = now.Add(rateLimitGap / 4)
	if at := b.ready(now); at.Sub(now) != 3*rateLimitGap/4 {
		t.Errorf("a quarter of a gap later: ready in %v; want %v", at.Sub(now), 3*rateLimitGap/4)
	}
	now = now.Add(time.Hour)
	if b.ready(now); b.tokens != hostBurst {
		t.Errorf("an hour later: %v tokens; want the burst, %d", b.tokens, hostBurst)
	}
}

func TestProberLocalRefusal(t *testing.T) {
	path := withLocal(newFakePath(pmtu.IPv4, 1500), 1400)
	p, _, err := runFake(t, path, 1500, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := p.result(time.Now(), nil)
	if r.PathMTU != 1400 {
		t.Errorf("path MTU %d; want 1400, the local limit", r.PathMTU)
	}
	if !slices.Contains(resultsOf(p.probes), resultRefused) || path.refusedAt != 1500 {
		t.Errorf("results %v, refused size %d; want a refusal of 1500", resultsOf(p.probes), path.refusedAt)
	}
	if r.ProbeCount != len(path.sent) {
		t.Errorf("%d probes counted; %d sent (refusals are not sent)", r.ProbeCount, len(path.sent))
	}
}

func TestProberFailures(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		_, _, err := runFake(t, withUnreachable(newFakePath(pmtu.IPv4, 1500)), 1500, nil)
		var u *unreachableError
		if !errors.As(err, &u) || u.a.ev.Kind != icmp.KindHostUnreachable {
			t.Errorf("err = %v; want an unreachableError for a host unreachable", err)
		}
	})
	t.Run("silent", func(t *testing.T) {
		path := withLoss(newFakePath(pmtu.IPv4, 1500), func(uint32) bool { return true })
		_, took, err := runFake(t, path, 1500, nil)
		if !errors.Is(err, errNoAnswer) {
			t.Errorf("err = %v; want errNoAnswer", err)
		}
		// BASE and then MIN_PLPMTU, MAX_PROBES times each, one second each.
		if want := []int{1200, 1200, 1200, 576, 576, 576}; !slices.Equal(path.sent, want) || took != 6*firstTimeout {
			t.Errorf("sent %v in %v; want %v in %v", path.sent, took, want, 6*firstTimeout)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		path := withLoss(newFakePath(pmtu.IPv4, 1500), func(uint32) bool { return true })
		synctest.Test(t, func(t *testing.T) {
			path.out = make(chan answer, 64)
			p := newProber(path, pmtu.Config{Max: 1500}, time.Now())
			if err := p.run(context.Background(), time.Now().Add(2500*time.Millisecond)); !errors.Is(err, errDeadline) {
				t.Errorf("err = %v; want errDeadline", err)
			}
		})
	})
	t.Run("canceled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			path := newFakePath(pmtu.IPv4, 1500)
			path.out = make(chan answer, 64)
			p := newProber(path, pmtu.Config{Max: 1500}, time.Now())
			if err := p.run(ctx, time.Now().Add(time.Minute)); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v; want context.Canceled", err)
			}
		})
	})
}

func TestProbeTimeout(t *testing.T) {
	tests := []struct {
		fixed time.Duration
		rtts  []time.Duration // oldest first
		want  time.Duration
	}{
		{0, nil, firstTimeout},
		{0, []time.Duration{time.Millisecond}, minTimeout},
		{0, []time.Duration{100 * time.Millisecond}, 300 * time.Millisecond},
		{0, []time.Duration{1500 * time.Millisecond}, maxTimeout},
		{0, []time.Duration{time.Second, time.Millisecond, time.Millisecond}, maxTimeout},
		{0, []time.Duration{time.Second, time.Millisecond, time.Millisecond, time.Millisecond}, minTimeout},
		{250 * time.Millisecond, nil, 250 * time.Millisecond},
		{250 * time.Millisecond, []time.Duration{time.Second}, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		p := &prober{timeout: tt.fixed}
		for _, rtt := range tt.rtts {
			copy(p.rtts[1:], p.rtts[:])
			p.rtts[0] = rtt
		}
		if got := p.probeTimeout(); got != tt.want {
			t.Errorf("timeout %v, round trips %v: %v; want %v", tt.fixed, tt.rtts, got, tt.want)
		}
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
