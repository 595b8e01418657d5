package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/pmtu"
)

// Probe timing. RFC 8899 section 5.1.1 asks for a PROBE_TIMER of at least
// one second unless the round-trip time is known; once answers have shown
// it, a probe is lost after a few round trips. A late answer still counts,
// and one slow answer (the first packet of a path can wait for neighbour
// discovery, a loaded host can be slow to reply) lengthens the timeout for
// the next few probes only.
const (
	firstTimeout   = time.Second           // until the first answer
	rttFactor      = 3                     // then this many times the longest recent round trip
	rttWindow      = 3                     // of the last this many
	minTimeout     = 50 * time.Millisecond // but not less
	maxTimeout     = 3 * time.Second       // nor more
	searchTimerOff = 24 * time.Hour        // pmtu's own probe timer: the prober declares losses
)

// Probe results, as the JSON output names them.
const (
	resultPending = "pending" // in flight when the search ended
	resultReached = "reached" // the host answered
	resultLate    = "late"    // the host answered after the probe was taken as lost
	resultLost    = "lost"    // no answer in time
	resultTooBig  = "too-big" // a router said it did not fit
	resultRefused = "refused" // the local host refused to send it
)

// probeRecord is what happened to one probe.
type probeRecord struct {
	seq    uint32
	size   int // IP size
	id     uint64
	sent   time.Time
	result string
	rtt    time.Duration // reached or late
	hint   int           // the MTU a router reported about this probe
	from   netip.Addr    // who answered, if ICMP did
}

// progressFunc is told when a probe is sent and when its fate is known.
type progressFunc func(p *prober, r *probeRecord)

// prober drives a pmtu.Search over a link: it sends the probes the search
// asks for, decides when one is lost, and feeds the answers back.
type prober struct {
	link     link
	search   *pmtu.Search
	family   pmtu.Family
	timeout  time.Duration // a fixed probe timeout, or 0 to adapt it
	pace     bool          // closed-port mode: pace probes by budget
	progress progressFunc  // may be nil

	start      time.Time
	probes     []*probeRecord // by seq-1
	cur        *probeRecord   // the probe in flight
	lastAnswer time.Time
	rtts       [rttWindow]time.Duration // the latest round-trip times, newest first
	unanswered map[int]int              // sizes sent without an answer, and how often
	reached    bool                     // some probe reached the host
	largest    int                      // the largest size that reached it
	budget     hostBudget               // the host's ICMP rate limit, when pace is set
	tooBig     *answer                  // the last validated ICMP too-big
}

// newProber returns a prober for the path cfg describes. The prober
// declares probes lost itself, so the search's own probe timer is turned
// off.
func newProber(l link, cfg pmtu.Config, now time.Time) *prober {
	cfg.ProbeTimeout = searchTimerOff
	return &prober{
		link:       l,
		search:     pmtu.New(cfg, now),
		family:     cfg.Family,
		start:      now,
		unanswered: make(map[int]int),
	}
}

// errNoAnswer means that no probe, not even the smallest, brought an answer.
var errNoAnswer = errors.New("no answer to any probe, even the smallest: the host is unreachable or silent")

// unreachableError is a validated ICMP error saying that probes cannot
// reach the host.
type unreachableError struct{ a answer }

func (e *unreachableError) Error() string { return "unreachable: " + e.a.String() }

// run searches until the path MTU is found, the host proves unreachable,
// ctx is done or the deadline passes.
func (p *prober) run(ctx context.Context, deadline time.Time) error {
	p.search.Start(time.Now())
	for {
		switch p.search.State() {
		case pmtu.SearchComplete:
			return nil
		case pmtu.Disabled:
			if p.reached {
				return errors.New("the host stopped answering, even the smallest probes")
			}
			return errNoAnswer
		}
		var err error
		if p.cur == nil {
			err = p.sendNext(ctx, deadline)
		} else {
			err = p.wait(ctx, deadline)
		}
		if err != nil {
			return err
		}
	}
}

// sendNext sends the probe the search asks for.
func (p *prober) sendNext(ctx context.Context, deadline time.Time) error {
	m, id, ok := p.search.NextProbe(time.Now())
	size := int(m)
	if !ok {
		// No probe in flight, the search not complete: pmtu always has a
		// probe due then.
		return fmt.Errorf("internal error: the search in state %v has no probe to send", p.search.State())
	}
	if err := p.paceFor(ctx, size, deadline); err != nil {
		return err
	}
	r := &probeRecord{seq: uint32(len(p.probes) + 1), size: size, id: id, sent: time.Now(), result: resultPending}
	p.probes = append(p.probes, r)
	err := p.link.send(r.seq, p.family.Payload(m))
	var tl *sock.TooLongError
	switch {
	case err == nil:
		p.cur = r
	case errors.As(err, &tl):
		r.result = resultRefused
		mtu := tl.MTU
		if mtu <= 0 || mtu >= size {
			mtu = size - 1
		}
		p.search.MessageTooLong(pmtu.MTU(mtu), time.Now())
	default:
		return fmt.Errorf("sending a probe: %w", err)
	}
	p.report(r)
	return nil
}

// paceFor waits, in closed-port mode, until the host can answer a probe
// of size: until its budget allows another answer, and, if size went
// unanswered before, until rateLimitGap has passed since its last answer.
func (p *prober) paceFor(ctx context.Context, size int, deadline time.Time) error {
	if !p.pace {
		return nil
	}
	until := p.budget.ready(time.Now())
	if p.unanswered[size] > 0 && !p.lastAnswer.IsZero() {
		until = later(until, p.lastAnswer.Add(rateLimitGap))
	}
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	if until.After(deadline) {
		return errDeadline
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// errDeadline means the search ran out of time.
var errDeadline = errors.New("out of time")

// wait waits for an answer to the probe in flight, or declares it lost.
func (p *prober) wait(ctx context.Context, deadline time.Time) error {
	at := p.cur.sent.Add(p.probeTimeout())
	if at.After(deadline) {
		at = deadline
	}
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case a := <-p.link.answers():
		return p.handle(a)
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	// Answers that came as the timer fired count before the probe is lost.
	for p.cur != nil {
		select {
		case a := <-p.link.answers():
			if err := p.handle(a); err != nil {
				return err
			}
			continue
		default:
		}
		if !time.Now().Before(deadline) {
			return errDeadline
		}
		r := p.cur
		p.cur = nil
		r.result = resultLost
		p.unanswered[r.size]++
		p.search.ProbeLost(r.id, time.Now())
		p.report(r)
	}
	return nil
}

// probeTimeout returns how long to wait for the answer to a probe.
func (p *prober) probeTimeout() time.Duration {
	switch {
	case p.timeout > 0:
		return p.timeout
	case p.rtts[0] == 0:
		return firstTimeout
	}
	return min(max(rttFactor*slices.Max(p.rtts[:]), minTimeout), maxTimeout)
}

// handle feeds an answer to the search.
func (p *prober) handle(a answer) error {
	switch a.kind {
	case answerFailed:
		return fmt.Errorf("reading answers: %w", a.err)
	case answerUnreachable:
		return &unreachableError{a}
	case answerTooBig:
		p.handleTooBig(a)
		return nil
	}
	r := p.record(a.seq)
	if r == nil || r.result == resultReached || r.result == resultLate {
		return nil // unattributable, or a duplicate
	}
	if r == p.cur {
		p.cur = nil
		r.result = resultReached
	} else {
		r.result = resultLate
	}
	r.rtt = a.at.Sub(r.sent)
	if !a.echo {
		r.from = a.ev.Reporter
	}
	p.reached = true
	p.largest = max(p.largest, r.size)
	p.lastAnswer = a.at
	if !a.echo {
		p.budget.spend(a.at)
	}
	copy(p.rtts[1:], p.rtts[:])
	p.rtts[0] = r.rtt
	p.search.ProbeAcked(r.id, a.at)
	p.report(r)
	return nil
}

// handleTooBig takes in a router's validated report that a probe did not
// fit: a hint for the search, which probes the reported size next (RFC
// 8899 section 4.6.2). It also settles the probe in flight if that is
// larger than the reported MTU, as the search does.
func (p *prober) handleTooBig(a answer) {
	p.tooBig = &a
	if r := p.record(a.seq); r != nil {
		r.hint, r.from = a.ev.MTU, a.ev.Reporter
	}
	if r := p.cur; r != nil && r.size > a.ev.MTU {
		p.cur = nil
		r.result = resultTooBig
		if r.hint == 0 {
			r.hint, r.from = a.ev.MTU, a.ev.Reporter
		}
		p.report(r)
	}
	p.search.PacketTooBig(pmtu.MTU(a.ev.MTU), a.at)
}

// record returns the probe with sequence number seq, or nil.
func (p *prober) record(seq uint32) *probeRecord {
	if seq == 0 || int(seq) > len(p.probes) {
		return nil
	}
	return p.probes[seq-1]
}

// report tells the progress function about r.
func (p *prober) report(r *probeRecord) {
	if p.progress != nil {
		p.progress(p, r)
	}
}
