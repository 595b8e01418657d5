package transport

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/pmtu"
)

// A prober drives the RFC 8899 search of one path after the handshake,
// with padded HeartbeatRequests as probe packets (RFC 6520 §5.1, RFC 8899
// §6.2.1). It starts no goroutine: one timer fires when something is due,
// and the engine's heartbeat handler reports the responses, whether or not
// the application reads. At most one request is in flight.
//
// A probe that goes unanswered is lost only if the peer has sent an
// authenticated record since it was sent: a peer that sends nothing may
// have gone, and a silence says nothing about sizes. The prober then asks
// the peer with a small heartbeat (a keepalive): an answer
// proves the peer alive, and the probe lost; no answer means the peer is
// silent, and the prober waits longer before it asks again, without
// touching the estimate. A keepalive is small, so that it crosses any
// path: it asks whether the peer is there, not whether a size gets through.
type prober struct {
	p       *path
	conn    *dtls.Conn
	timeout time.Duration // PROBE_TIMER
	pacer   *pacer        // spreads the probes of a listener's associations; nil for a client
	timer   *time.Timer
	armedAt time.Time // when timer is set to fire; zero once it fired (guarded by p.mu)

	// Guarded by p.mu.
	cur     inFlight  // the request in flight; id 0 if none
	suspect inFlight  // a probe unanswered while the peer was silent; id 0 if none
	quiet   int       // keepalives in a row that a silent peer did not answer
	slot    time.Time // when the pacer's token booked for the next probe is ours; zero if none
	closed  bool

	sent, acked, lost, unanswered atomic.Uint64
}

// An inFlight is a HeartbeatRequest sent and not yet settled.
type inFlight struct {
	id        uint64   // the probe's search ID, or keepaliveBit|n for a keepalive
	size      pmtu.MTU // IP size
	due       time.Time
	received  uint64 // the engine's count of authenticated records when it was sent
	keepalive bool
}

// keepaliveBit marks the IDs of keepalives, which are not the search's.
const keepaliveBit = 1 << 63

// keepaliveSize is the UDP payload of a keepalive: room for a heartbeat
// request with its minimum padding under any cipher, and far below any
// path's MTU.
const keepaliveSize = 160

// maxQuietWait bounds how long a prober waits before it asks a silent peer
// again.
const maxQuietWait = 5 * time.Minute

// probePayload is the payload of the HeartbeatRequest that carries a
// probe's ID: the ID as a 64-bit big-endian number (RFC 6520 §4 leaves the
// payload to the sender).
type probePayload [8]byte

func newProbePayload(id uint64) (p probePayload) {
	binary.BigEndian.PutUint64(p[:], id)
	return p
}

// parseProbePayload returns the probe ID a HeartbeatResponse's payload
// carries.
func parseProbePayload(payload []byte) (uint64, bool) {
	var id uint64
	s := cryptobyte.String(payload)
	return id, s.ReadUint64(&id) && s.Empty() && id != 0
}

// startProbing begins probing the path through c, whose handshake has
// just completed, if the peer accepts heartbeats; otherwise the path goes
// on living on ICMP and local errors, and the trace says so. The first
// probe waits up to delay, at random, so that associations that start
// together do not probe together. The size the handshake proved is the
// starting point (pmtu.Search.Start).
func (p *path) startProbing(c *dtls.Conn, pc *pacer, delay time.Duration) {
	if !c.ProbeAllowed() {
		if p.log.Enabled(slog.LevelInfo) {
			p.log.Event(slog.LevelInfo, "no probing", "path MTU to %s: no probing, the peer does not accept heartbeats (DTLS 1.2); ICMP and local errors only",
				slog.Any("peer", p.peer()))
		}
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended || p.probe != nil || p.search.Fixed() != 0 {
		return
	}
	pr := &p.prober
	*pr = prober{p: p, conn: c, timeout: p.search.ProbeTimeout(), pacer: pc}
	c.SetProbeHandler(pr.answered)
	before := p.search.PMTU()
	p.search.Start(now)
	p.probe = pr
	if delay > 0 {
		delay = rand.N(delay)
	}
	pr.timer, pr.armedAt = time.AfterFunc(delay, pr.fire), now.Add(delay)
	if p.log.Enabled(slog.LevelDebug) {
		p.log.Event(slog.LevelDebug, "probing started", "path MTU to %s: probing from %d (%v)",
			slog.Any("peer", p.peer()), slog.Int("mtu", int(p.search.PMTU())), slog.String("state", p.search.State().String()))
	}
	p.noteLocked(before, "probing started")
}

// probingLocked reports whether the path is probed: the prober started
// and has not stopped, and the size is not fixed. p.mu is held.
func (p *path) probingLocked() bool {
	return p.probe != nil && !p.probe.closed && p.search.Fixed() == 0
}

// stopProbing stops the prober for good; the association is ending.
func (p *path) stopProbing() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	if pr := p.probe; pr != nil && !pr.closed {
		pr.closed = true
		pr.timer.Stop()
	}
}

// dropLocked forgets the probe in flight if it is larger than mtu: the
// search has forgotten it (a PTB or the local stack said it was too big),
// and a new one may be due at once. p.mu is held.
func (pr *prober) dropLocked(mtu pmtu.MTU) {
	if pr.cur.id != 0 && !pr.cur.keepalive && pr.cur.size > mtu {
		pr.cur = inFlight{}
		pr.pokeLocked()
	}
	if pr.suspect.size > mtu {
		pr.suspect = inFlight{}
	}
}

// pokeLocked makes the timer fire at once. p.mu is held.
func (pr *prober) pokeLocked() {
	if !pr.closed {
		now := time.Now()
		pr.setTimerLocked(now, now)
	}
}

// setTimerLocked makes the timer fire at at, or minRearm from now if that
// is later. A runtime timer moved to an earlier time makes the runtime
// scan every timer of its heap, which on a listener with a timer for each
// of its many associations costs far more than a new timer: an earlier
// time gets a new timer, and the old one is stopped. p.mu is held.
func (pr *prober) setTimerLocked(at, now time.Time) {
	d := max(at.Sub(now), minRearm)
	at = now.Add(d)
	if !pr.armedAt.IsZero() && at.Before(pr.armedAt) {
		pr.timer.Stop()
		pr.timer = time.AfterFunc(d, pr.fire)
	} else {
		pr.timer.Reset(d)
	}
	pr.armedAt = at
}

// fire runs when the timer expires: it settles a request whose timer ran
// out, runs the search's timers, and sends what is due.
func (pr *prober) fire() {
	now := time.Now()
	p := pr.p
	p.mu.Lock()
	if !pr.armedAt.After(now) {
		pr.armedAt = time.Time{} // fired: out of the runtime's heap
	}
	req, ok := pr.nextLocked(now)
	if ok {
		// In flight from now: a fire that runs meanwhile (the timer's,
		// and an answer's) sends nothing more.
		req.received = pr.conn.Stats().Received
		req.due = now.Add(pr.timeout)
		pr.cur = req
	}
	p.mu.Unlock()
	if ok {
		pr.send(req)
	}
	p.mu.Lock()
	pr.armLocked(time.Now())
	p.mu.Unlock()
}

// nextLocked settles the request in flight if its timer ran out, and
// returns the request to send now, if any. p.mu is held.
func (pr *prober) nextLocked(now time.Time) (inFlight, bool) {
	p := pr.p
	if pr.closed || p.search.Fixed() != 0 {
		return inFlight{}, false
	}
	if pr.cur.id != 0 {
		if now.Before(pr.cur.due) {
			return inFlight{}, false
		}
		if ka, send := pr.expiredLocked(now); send {
			return ka, true
		}
	}
	if pr.suspect.id != 0 {
		return pr.keepaliveLocked(now), true // the wait after a silence is over
	}
	if pr.pacer != nil {
		if pr.slot.IsZero() {
			pr.slot = pr.pacer.book(now)
		}
		if now.Before(pr.slot) {
			return inFlight{}, false // armLocked waits for the slot
		}
		pr.slot = time.Time{}
	}
	before := p.search.PMTU()
	size, id, ok := p.search.NextProbe(now)
	p.noteLocked(before, "search timer")
	if !ok {
		return inFlight{}, false
	}
	if p.log.Enabled(slog.LevelDebug) {
		p.log.Event(slog.LevelDebug, "probe sent", "path MTU probe to %s: %d bytes (%v)",
			slog.Any("peer", p.peer()), slog.Int("size", int(size)), slog.String("state", p.search.State().String()))
	}
	return inFlight{id: id, size: size}, true
}

// expiredLocked settles the request whose timer ran out. If the peer sent
// an authenticated record since, it was lost; if not, a probe becomes a
// suspect and a keepalive asks the peer whether it is there, which the
// caller sends; an unanswered keepalive means the peer is silent. p.mu is
// held.
func (pr *prober) expiredLocked(now time.Time) (inFlight, bool) {
	p, c := pr.p, pr.cur
	pr.cur = inFlight{}
	if pr.conn.Stats().Received > c.received {
		pr.lostLocked(c, now)
		return inFlight{}, false
	}
	if !c.keepalive {
		pr.suspect = c
		if p.log.Enabled(slog.LevelDebug) {
			p.log.Event(slog.LevelDebug, "probe unanswered", "path MTU probe to %s: %d bytes, unanswered by a silent peer; asking whether it is there",
				slog.Any("peer", p.peer()), slog.Int("size", int(c.size)))
		}
		return pr.keepaliveLocked(now), true
	}
	pr.quiet++
	pr.unanswered.Add(1)
	if p.log.Enabled(slog.LevelInfo) {
		p.log.Event(slog.LevelInfo, "peer silent", "path MTU to %s: the peer is silent; the estimate stays at %d",
			slog.Any("peer", p.peer()), slog.Int("mtu", int(p.search.PMTU())))
	}
	return inFlight{}, false
}

// lostLocked counts a request that went unanswered while the peer was
// alive: a probe is lost (RFC 8899 §5.3.1); so is the suspect probe before
// a keepalive, and the keepalive itself, small, was lost at random. p.mu
// is held.
func (pr *prober) lostLocked(c inFlight, now time.Time) {
	p := pr.p
	before := p.search.PMTU()
	pr.quiet = 0
	pr.lost.Add(1)
	if c.keepalive {
		if s := pr.suspect; s.id != 0 {
			p.search.ProbeLost(s.id, now)
			pr.suspect = inFlight{}
		}
	} else {
		p.search.ProbeLost(c.id, now)
	}
	if p.log.Enabled(slog.LevelDebug) {
		p.log.Event(slog.LevelDebug, "probe lost", "path MTU probe to %s: %d bytes, lost",
			slog.Any("peer", p.peer()), slog.Int("size", int(c.size)))
	}
	p.noteLocked(before, p.explain("probe of %d bytes lost", int(c.size)))
}

// keepaliveLocked returns a keepalive. p.mu is held.
func (pr *prober) keepaliveLocked(time.Time) inFlight {
	n := pr.sent.Load() + 1
	return inFlight{id: keepaliveBit | n, size: pr.p.family.MTU(keepaliveSize), keepalive: true}
}

// send sends req, which is pr.cur, as a padded HeartbeatRequest. A
// request the local stack refuses, or that cannot be sent, is settled as
// lost at once, without the peer's silence counting for or against it.
func (pr *prober) send(req inFlight) {
	p := pr.p
	pr.sent.Add(1)
	payload := newProbePayload(req.id)
	_, err := pr.conn.SendProbe(payload[:], p.family.Payload(req.size))
	if err == nil {
		return
	}
	pr.sent.Add(^uint64(0)) // not sent after all
	if errors.Is(err, net.ErrClosed) {
		p.stopProbing()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log.Enabled(slog.LevelDebug) {
		p.log.Event(slog.LevelDebug, "probe not sent", "path MTU probe to %s: %d bytes, not sent: %v",
			slog.Any("peer", p.peer()), slog.Int("size", int(req.size)), slog.Any("err", err))
	}
	if pr.cur.id != req.id {
		return
	}
	pr.cur = inFlight{}
	if !req.keepalive && !errors.Is(err, dtls.ErrMessageTooLong) {
		// A refusal as too long was handled by localLimit already.
		before := p.search.PMTU()
		p.search.ProbeLost(req.id, time.Now())
		p.noteLocked(before, "probe not sent")
	}
}

// armLocked sets the timer for what comes next: the request in flight's
// timer, the next question to a silent peer, or the search's deadline.
// p.mu is held.
func (pr *prober) armLocked(now time.Time) {
	p := pr.p
	var at time.Time
	switch {
	case pr.closed || p.search.Fixed() != 0:
		return
	case pr.cur.id != 0:
		at = pr.cur.due
	case pr.suspect.id != 0:
		at = now.Add(min(pr.timeout<<min(pr.quiet, 16), maxQuietWait))
	default:
		at = p.search.Deadline()
		if !at.IsZero() && pr.slot.After(at) {
			at = pr.slot
		}
	}
	if at.IsZero() {
		return
	}
	pr.setTimerLocked(at, now)
}

// minRearm is the shortest wait the timer is set to: a guard against
// spinning on a deadline in the past.
const minRearm = time.Millisecond

// answered is the heartbeat handler: the response to the request with the
// ID in payload arrived. A probe's size gets through (RFC 8899 §4.1); a
// keepalive's answer proves the peer alive, so a suspect probe was lost.
func (pr *prober) answered(payload []byte) {
	id, ok := parseProbePayload(payload)
	if !ok {
		return
	}
	p := pr.p
	now := time.Now()
	p.mu.Lock()
	before := p.search.PMTU()
	why := "late probe acknowledged"
	if id&keepaliveBit != 0 {
		why = "keepalive answered"
		pr.quiet = 0
		if s := pr.suspect; s.id != 0 {
			p.search.ProbeLost(s.id, now)
			pr.lost.Add(1)
			pr.suspect = inFlight{}
		}
	} else {
		p.search.ProbeAcked(id, now)
	}
	if pr.cur.id == id {
		if !pr.cur.keepalive {
			why = p.explain("probe of %d bytes acknowledged", int(pr.cur.size))
			if p.log.Enabled(slog.LevelDebug) {
				p.log.Event(slog.LevelDebug, "probe acknowledged", "path MTU probe to %s: %d bytes, acknowledged",
					slog.Any("peer", p.peer()), slog.Int("size", int(pr.cur.size)))
			}
		}
		pr.acked.Add(1)
		pr.cur = inFlight{}
	}
	p.noteLocked(before, why)
	p.mu.Unlock()
	// What comes next, often the next probe, is sent at once, here: the
	// handler runs without the engine's locks.
	pr.fire()
}
