package transport

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/eventlog"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/pmtu"
)

// A path is the path-MTU state of one association: a pmtu.Search, which
// owns the estimate, the cap, fixed mode and the backoff ladder; the
// datagrams sent recently, against which ICMP messages are validated; the
// prober that searches after the handshake; and the counters. It is the
// dtls.Path of the association's engine.
//
// Its lock is a leaf: nothing is called with it held but the pmtu.Search,
// the sent log, the validator, and the engine's SetHeartbeatHandler and
// Stats, which take only leaf locks of the engine's. The engine calls the dtls.Path methods
// with its own locks held; the socket's handler may call icmp and
// localLimit from inside a send, so they never call the engine: they
// schedule shrunk, which tells it on a goroutine of its own.
type path struct {
	family pmtu.Family
	ended  bool // the association ended: no probing starts (guarded by mu)
	local  netip.AddrPort
	remote atomic.Pointer[netip.AddrPort] // the peer's address; see peer
	first  netip.AddrPort                 // where remote points at first
	log    eventlog.Log
	cache  *mtuCache // where what the path learns is kept, or nil
	maxMTU pmtu.MTU  // the cap the options set: MaxMTU, or DefaultMaxMTU
	route  pmtu.MTU  // the MTU of the route, or 0 if unknown
	max    pmtu.MTU  // the largest size the search allows (pmtu.Config.Max)

	mu      sync.Mutex
	search  *pmtu.Search
	sent    sock.SentLog
	changed chan struct{} // closed when the MTU changes; nil until PathMTUChanged asks for it
	probe   *prober       // nil until probing starts, and when it cannot
	prober  prober        // where probe points once it starts
	shrink  shrinker      // tells the engine the path shrank; nil until it exists

	validator    icmp.Validator
	localTooLong atomic.Uint64
	lostFlights  atomic.Uint64
	notSent      atomic.Uint64
	hints        atomic.Uint64              // PTBs that quoted no record
	unreachable  atomic.Pointer[icmp.Event] // the last port unreachable from the peer
}

// A pathConfig describes the path of a new association.
type pathConfig struct {
	local, remote netip.AddrPort
	route         pmtu.MTU // the MTU of the route to remote, or 0 if unknown
	maxMTU        pmtu.MTU // the cap; 0 means DefaultMaxMTU
	fixed         pmtu.MTU // fixed MTU, or 0
	log           eventlog.Log
	cache         *mtuCache
	// The timers of the search (RFC 8899 §5.1.1); zero means the pmtu
	// package's defaults.
	probeTimeout, confirmTimeout, raiseTimeout time.Duration
}

var _ dtls.Path = (*path)(nil)

// newPath returns the state of the path cfg describes. The estimate starts
// at the route's MTU, within the cap, or at what the last association to
// the same address learned, if that is lower and still fresh. A fixed MTU,
// which the caller checked against the cap, is kept within the route's MTU
// when it is known, and the trace says so when that lowers it; an unknown
// route is taken to carry it.
func newPath(cfg pathConfig) *path {
	f := pmtu.FamilyOf(cfg.remote.Addr())
	limit := cfg.maxMTU
	if limit <= 0 {
		limit = DefaultMaxMTU
	}
	limit = max(limit, f.Floor()) // as pmtu.Config.Max is kept
	top := cfg.route
	if top <= 0 {
		top = max(pmtu.DefaultMax, cfg.fixed)
	}
	top = min(top, limit)
	now := time.Now()
	pc := pmtu.Config{
		Family:         f,
		Max:            top,
		ProbeTimeout:   cfg.probeTimeout,
		ConfirmTimeout: cfg.confirmTimeout,
		RaiseTimeout:   cfg.raiseTimeout,
	}
	if learned, ok := cfg.cache.get(cfg.remote.Addr(), now); ok && learned < top {
		pc.Initial = learned
	}
	p := &path{
		family:    f,
		local:     cfg.local,
		log:       cfg.log,
		cache:     cfg.cache,
		maxMTU:    limit,
		route:     max(cfg.route, 0),
		search:    pmtu.New(pc, now),
		validator: icmp.Validator{MinQuote: dtls.RecordHeaderLen},
	}
	p.first = cfg.remote
	p.remote.Store(&p.first)
	p.max = max(top, f.Floor())
	if cfg.fixed != 0 {
		p.search.SetFixed(cfg.fixed, now)
		if cfg.fixed > p.max {
			if p.log.Enabled(slog.LevelInfo) {
				p.log.Event(slog.LevelInfo, "fixed path MTU lowered", "path MTU to %s: fixed at %d, within the cap and the route's MTU, rather than %d",
					slog.Any("peer", p.peer()), slog.Int("mtu", int(p.search.PMTU())), slog.Int("asked", int(cfg.fixed)))
			}
		}
	}
	return p
}

// checkFixedLocked reports why the path cannot be fixed at mtu, if it
// cannot: the cap is below it (the one opts.MaxMTU set, or SetMaxMTU's),
// or the MTU of the route. p.mu is held.
func (p *path) checkFixedLocked(mtu int, opts string) error {
	switch cp := p.search.Cap(); {
	case mtu == 0:
	case mtu > int(p.maxMTU):
		return fmt.Errorf("dtls: fixed MTU %d is above the MTU cap %d; raise %s.MaxMTU to fix a larger MTU", mtu, p.maxMTU, opts)
	case cp != 0 && mtu > int(cp):
		return fmt.Errorf("dtls: fixed MTU %d is above the MTU cap %d; raise the cap with SetMaxMTU", mtu, cp)
	case mtu > int(p.max) && p.route != 0:
		return fmt.Errorf("dtls: fixed MTU %d is above %d, the MTU of the route to %v", mtu, p.max, p.peer().Addr())
	case mtu > int(p.max):
		return fmt.Errorf("dtls: fixed MTU %d is above %d, the largest MTU of a path whose route's MTU is unknown; fix it with %s.MTU instead", mtu, p.max, opts)
	}
	return nil
}

// mtu returns the IP MTU in force.
func (p *path) mtu() pmtu.MTU {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tickLocked(time.Now())
	return p.search.PMTU()
}

// MaxDatagramSize returns the largest UDP payload that fits the path MTU.
func (p *path) MaxDatagramSize() int { return p.family.Payload(p.mtu()) }

// FlightLost takes in that a handshake flight whose largest datagram had
// size bytes went unanswered: with no ICMP message to go by, the path may
// be a black hole for it (RFC 2923 §2.1), so the estimate takes one rung of
// the backoff ladder below that size (RFC 6347 §4.1.1.1).
func (p *path) FlightLost(size int) {
	p.lostFlights.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.search.PMTU()
	p.search.Backoff(p.family.MTU(size), time.Now())
	p.noteLocked(before, p.explain("flight of %d-byte datagrams went unanswered", size))
}

// FlightAnswered takes in that the peer answered a flight whose largest
// datagram had size bytes: that size gets through, and probing will start
// above it (RFC 8899 §4.1).
func (p *path) FlightAnswered(size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.search.PMTU()
	p.search.SizeAcked(p.family.MTU(size), time.Now())
	p.noteLocked(before, "flight answered")
}

// sending records a datagram about to be sent, by its key (sentKey).
func (p *path) sending(b []byte, first dtls.RecordID) {
	key := sentKey(b, first)
	p.mu.Lock()
	p.sent.Add(key, len(b))
	p.mu.Unlock()
}

// sendingBatch records datagrams about to be sent, as sending does.
func (p *path) sendingBatch(ds [][]byte, firsts []dtls.RecordID) {
	p.mu.Lock()
	for i, d := range ds {
		p.sent.Add(sentKey(d, firsts[i]), len(d))
	}
	p.mu.Unlock()
}

// sentKey is the sent log's key of datagram b, whose first record is
// first: dtls.DatagramKey, which an ICMP message's quote gives too, or
// else first's epoch and 48-bit sequence number, which DatagramKey gives
// for a DTLS 1.2 header.
func sentKey(b []byte, first dtls.RecordID) uint64 {
	if k, ok := dtls.DatagramKey(b); ok {
		return k
	}
	return uint64(first.Epoch)<<48 | first.Seq&(1<<48-1)
}

// tickLocked runs the estimate's timers: after the raise timer, what ICMP
// taught is forgotten (RFC 8201 §4). Once probing has started, the prober
// runs them instead. p.mu is held.
func (p *path) tickLocked(now time.Time) {
	if p.probe != nil {
		return
	}
	if d := p.search.Deadline(); d.IsZero() || now.Before(d) {
		return
	}
	before := p.search.PMTU()
	p.search.Tick(now)
	p.noteLocked(before, "raise timer expired")
}

// noteLocked publishes a change of the path MTU from before, if there was
// one: it wakes the waiters of changed, keeps what was learned for the
// next association to the same address, and traces it. p.mu is held.
func (p *path) noteLocked(before pmtu.MTU, why string) {
	p.search.Changed() // only before and after count here
	mtu := p.search.PMTU()
	if mtu == before {
		return
	}
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
	if learned, ok := p.search.Learned(); ok {
		p.cache.put(p.peer().Addr(), learned, time.Now())
	}
	if p.log.Enabled(slog.LevelInfo) {
		p.log.Event(slog.LevelInfo, "path MTU changed", "path MTU to %s: %d -> %d (%s)",
			slog.Any("peer", p.peer()), slog.Int("from", int(before)), slog.Int("to", int(mtu)), slog.String("reason", why))
	}
}

// explain formats the reason of a path MTU change, with one number, or
// returns "" when nobody takes the event: the data path formats nothing
// nobody reads.
func (p *path) explain(format string, n int) string {
	if !p.log.Enabled(slog.LevelInfo) {
		return ""
	}
	return fmt.Sprintf(format, n)
}

// shrunk tells the engine, on a goroutine of its own, that the path MTU
// went down, so that a flight in progress is sent again at once at the new
// size. It never runs on the caller's goroutine, which may hold the
// engine's locks. p.mu is held.
func (p *path) shrunkLocked() {
	if e := p.shrink; e != nil {
		time.AfterFunc(0, e.PathShrank)
	}
}

// A shrinker is the engine of a path's association, told when the path
// shrank (dtls.Conn.PathShrank).
type shrinker interface{ PathShrank() }

// peer returns the address of the path's peer.
func (p *path) peer() netip.AddrPort { return *p.remote.Load() }

// moveTo takes the path to a peer that moved to remote (RFC 9146 §6): the
// search starts again from the base, since nothing learned of the old path
// holds for the new, and the datagrams sent so far no longer validate
// ICMP messages.
func (p *path) moveTo(remote netip.AddrPort) {
	p.remote.Store(&remote)
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.search.PMTU()
	p.search.Reset(time.Now())
	p.sent = sock.SentLog{}
	if p.probe != nil {
		p.probe.cur, p.probe.suspect = inFlight{}, inFlight{}
		p.probe.pokeLocked()
	}
	p.noteLocked(before, "the peer moved to "+remote.String())
}
