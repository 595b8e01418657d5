package transport

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls"
)

// minRearm is the shortest wait the prober's timer is re-armed with when
// it did nothing: a guard against spinning on a deadline in the past.
const minRearm = 10 * time.Millisecond

// A prober drives the RFC 8899 search of one path after the handshake,
// with padded HeartbeatRequests as probe packets (RFC 6520 §5.1, RFC 8899
// §6.2.1 for DTLS). It starts no goroutine: one timer fires at the search's
// deadline, or at once when something happened, and the heartbeat handler
// reports the responses. At most one probe is in flight.
//
// A response is processed only inside the application's Read, since that
// is where the engine reads records. So when a probe's timer expires, the
// probe is declared lost only if a datagram read is in progress at that
// moment: that read waits for data, so every datagram that arrived before
// was read and its records processed, the response among them. With no
// read in progress, the response may be waiting unread: the outcome is
// unknown, the probe is stalled, and it is sent again when the next read
// begins, with a fresh timer. The search's own probe timer is never run
// while a probe is in flight, so it cannot declare such a probe lost.
type prober struct {
	p       *path
	conn    *dtls.Conn
	timeout time.Duration // PROBE_TIMER

	fireMu sync.Mutex // serializes the timer's callbacks

	// Guarded by p.mu.
	timer  *time.Timer
	cur    probeInFlight // the probe in flight; id 0 if none
	closed bool

	sent, acked, lost atomic.Uint64
}

// A probeInFlight is a probe handed out by the search and sent.
type probeInFlight struct {
	id     uint64
	size   int       // IP size
	due    time.Time // when its timer expires, or when to send it again
	unsent bool      // a pending ICMP error kept it from being sent
}

// probePayload returns the payload of the HeartbeatRequest that carries
// the probe id: the ID as a 64-bit big-endian number (RFC 6520 §4 leaves
// the payload to the sender).
func probePayload(id uint64) []byte {
	var b cryptobyte.Builder
	b.AddUint64(id)
	return b.BytesOrPanic()
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
// on living on ICMP and local errors, and the trace says so. The largest
// datagram sent since the last handshake timeout or decrease of the path
// MTU belongs to a flight that the peer answered, so it tells the search
// what gets through already, and it starts above that size rather than
// at BASE_PLPMTU (RFC 8899 §5.2).
func (p *path) startProbing(c *dtls.Conn) {
	if !c.HeartbeatAllowed() {
		p.tracef("path MTU to %s: no probing, the peer does not accept heartbeats; ICMP and local errors only", p.remote)
		return
	}
	pr := &prober{p: p, conn: c, timeout: p.search.Config().ProbeTimeout}
	c.SetHeartbeatHandler(pr.answered)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.probeClosed || p.probe != nil {
		return
	}
	before := p.mtuLocked()
	if p.largest > 0 {
		p.search.SizeAcked(min(p.largest+p.family.HeaderLen(), before), now)
	}
	p.search.Start(now)
	p.probe = pr
	pr.timer = time.AfterFunc(0, pr.fire)
	p.tracef("path MTU to %s: probing from %d (%v)", p.remote, p.search.PMTU(), p.search.State())
	p.noteLocked(before, "probing started")
}

// stopProbing stops the prober for good; the association is closing.
func (p *path) stopProbing() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probeClosed = true
	if pr := p.probe; pr != nil && !pr.closed {
		pr.closed = true
		pr.timer.Stop()
	}
}

// readBegin and readEnd bracket each read of a datagram. A stalled probe is
// sent again as soon as a read begins.
func (p *path) readBegin() {
	p.reading.Add(1)
	if p.stalled.Load() {
		p.pokeProbe()
	}
}

func (p *path) readEnd() { p.reading.Add(-1) }

// pokeProbe makes the prober's timer fire at once, if probing.
func (p *path) pokeProbe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pokeLocked()
}

// pokeLocked is pokeProbe with p.mu held.
func (p *path) pokeLocked() {
	if pr := p.probe; pr != nil && !pr.closed {
		pr.timer.Reset(0)
	}
}

// dropProbeLocked forgets the probe in flight if it is larger than mtu:
// the search has forgotten it (a PTB or the local stack said it was too
// big), and a new one may be due at once. lost says whether it counts as
// lost. p.mu is held.
func (p *path) dropProbeLocked(mtu int, lost bool) {
	pr := p.probe
	if pr == nil || pr.cur.id == 0 || pr.cur.size <= mtu {
		return
	}
	if lost {
		pr.lost.Add(1)
	}
	pr.cur = probeInFlight{}
	p.stalled.Store(false)
	p.pokeLocked()
}

// fire runs when the timer expires: it settles the probe in flight, lets
// the search run its timers, and sends the probe that is due, if any.
func (pr *prober) fire() {
	pr.fireMu.Lock()
	defer pr.fireMu.Unlock()
	size, id, send := pr.next(time.Now())
	if send {
		pr.send(size, id)
	}
	pr.arm(time.Now(), send)
}

// next decides what to send at now: the stalled probe again, or the
// search's next probe. It settles an expired probe first: lost if a read
// is in progress, else stalled.
func (pr *prober) next(now time.Time) (size int, id uint64, ok bool) {
	p := pr.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.closed || p.fixed != 0 {
		return 0, 0, false
	}
	if c := pr.cur; c.id != 0 {
		if c.unsent && now.Before(c.due) {
			return 0, 0, false
		}
		if c.unsent || p.stalled.Load() {
			p.stalled.Store(false)
			pr.cur.unsent = false
			pr.cur.due = now.Add(pr.timeout)
			p.tracef("path MTU probe to %s: %d bytes, sent again", p.remote, c.size)
			return c.size, c.id, true
		}
		if now.Before(c.due) {
			return 0, 0, false
		}
		if p.reading.Load() == 0 {
			p.stalled.Store(true)
			p.tracef("path MTU probe to %s: %d bytes, unanswered while nothing was read; sent again at the next read", p.remote, c.size)
			return 0, 0, false
		}
		before := p.mtuLocked()
		p.search.ProbeLost(c.id, now)
		pr.lost.Add(1)
		pr.cur = probeInFlight{}
		p.tracef("path MTU probe to %s: %d bytes, lost", p.remote, c.size)
		p.noteLocked(before, fmt.Sprintf("probe of %d bytes lost", c.size))
	}
	before := p.mtuLocked()
	size, id, ok = p.search.NextProbe(now)
	p.noteLocked(before, "search timer")
	if ok {
		pr.cur = probeInFlight{id: id, size: size, due: now.Add(pr.timeout)}
		p.tracef("path MTU probe to %s: %d bytes (%v)", p.remote, size, p.search.State())
	}
	return size, id, ok
}

// send sends the probe id of IP size size as a padded HeartbeatRequest.
// A probe the local stack refuses tells the search the stack's limit. With
// an error queue, that limit was read from the queue, and a refusal that
// left the probe in flight was the pending error of ICMP messages about
// earlier datagrams (path.send): the probe is sent again after the probe
// timer. A probe that cannot be sent for another reason is lost.
func (pr *prober) send(size int, id uint64) {
	p := pr.p
	// Counted before sending: its response may be read before
	// SendHeartbeat returns, and acked must never pass sent.
	pr.sent.Add(1)
	_, err := pr.conn.SendHeartbeat(probePayload(id), size-p.family.HeaderLen())
	if err == nil {
		return
	}
	pr.sent.Add(^uint64(0)) // not sent after all
	if errors.Is(err, net.ErrClosed) {
		p.stopProbing()
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tracef("path MTU probe to %s: %d bytes, not sent: %v", p.remote, size, err)
	if pr.cur.id != id {
		return
	}
	tooLong := errors.Is(err, dtls.ErrMessageTooLong)
	if tooLong && p.errQueue {
		pr.cur.unsent = true
		pr.cur.due = now.Add(pr.timeout)
		return
	}
	pr.cur = probeInFlight{}
	before := p.mtuLocked()
	if tooLong {
		p.localTooLong.Add(1)
		p.search.MessageTooLong(size-1, now)
	} else {
		pr.lost.Add(1)
		p.search.ProbeLost(id, now)
	}
	p.noteLocked(before, fmt.Sprintf("probe of %d bytes not sent", size))
}

// arm sets the timer for what comes next: the probe in flight's timer, or
// the search's deadline. A stalled probe waits for a read instead. sent
// says whether the callback just sent a probe.
func (pr *prober) arm(now time.Time, sent bool) {
	p := pr.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var d time.Time
	switch {
	case pr.closed || p.fixed != 0 || p.stalled.Load():
		return
	case pr.cur.id != 0:
		d = pr.cur.due
	default:
		d = p.search.Deadline()
	}
	if d.IsZero() {
		return
	}
	wait := d.Sub(now)
	if !sent {
		wait = max(wait, minRearm)
	}
	pr.timer.Reset(max(wait, 0))
}

// answered is the heartbeat handler: the response to the probe with the
// ID in payload arrived, so its size gets through (RFC 8899 §4.1). It runs
// inside the application's Read.
func (pr *prober) answered(payload []byte) {
	id, ok := parseProbePayload(payload)
	if !ok {
		return
	}
	p := pr.p
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.mtuLocked()
	p.search.ProbeAcked(id, now)
	why := "late probe acknowledged"
	if pr.cur.id == id {
		why = fmt.Sprintf("probe of %d bytes acknowledged", pr.cur.size)
		p.tracef("path MTU probe to %s: %d bytes, acknowledged", p.remote, pr.cur.size)
		pr.acked.Add(1)
		pr.cur = probeInFlight{}
		p.stalled.Store(false)
	}
	p.noteLocked(before, why)
	p.pokeLocked()
}

// tracef sends a line to the trace, if there is one.
func (p *path) tracef(format string, args ...any) {
	if p.trace != nil {
		p.trace(fmt.Sprintf(format, args...))
	}
}
