package transport

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/pmtu"
)

// DefaultMaxMTU caps the initial path-MTU estimate when the application
// sets no cap: the route's interface MTU is used (RFC 4347 §4.1.1.1) up to
// a jumbo Ethernet frame. A loopback interface's 64 KiB would give
// datagrams larger than many DTLS receivers read.
const DefaultMaxMTU = 9000

// minMTU is the smallest MTU that leaves dtls.MinDatagramSize bytes of UDP
// payload for both address families.
const minMTU = 40 + 8 + dtls.MinDatagramSize

// checkMTU reports an MTU that cannot carry DTLS; zero means none is fixed.
func checkMTU(mtu int) error {
	if mtu != 0 && mtu < minMTU {
		return fmt.Errorf("dtls: MTU %d is below the minimum of %d", mtu, minMTU)
	}
	return nil
}

// familyOf returns the IP version of the path to remote; an unknown
// address counts as IPv6, the larger header overhead.
func familyOf(remote netip.Addr) pmtu.Family {
	if !remote.IsValid() {
		return pmtu.IPv6
	}
	return pmtu.FamilyOf(remote)
}

// A path is the path-MTU state of one association: the estimate (a
// pmtu.Search in its Disabled state, RFC 1191 / RFC 8201 style), the
// datagrams sent recently, against which ICMP messages are validated, and
// the counters. It implements dtls.Path for the association's engine.
// Sizes inside are IP-level MTUs; the dtls.Path methods speak UDP payload
// bytes.
type path struct {
	family pmtu.Family
	remote netip.AddrPort
	trace  func(string)

	mu      sync.Mutex
	search  *pmtu.Search
	fixed   int           // fixed IP MTU, or 0
	capMTU  int           // the application's cap (Conn.SetMaxMTU), or 0
	sent    sentRing      // datagrams sent recently
	largest int           // largest datagram sent since the last timeout
	changed chan struct{} // closed when the MTU changes, then replaced

	// shrunk holds a token while the size has gone down and the engine
	// has not been told through a read yet.
	shrunk chan struct{}

	validator    icmp.Validator
	localTooLong atomic.Uint64
	lostFlights  atomic.Uint64

	// probe runs the path-MTU probes once the handshake is done and the
	// peer accepts heartbeats; nil before, and for a path that lives on
	// ICMP and local errors. probeClosed is set when the association
	// ends, after which no probing starts. Both are guarded by mu.
	probe       *prober
	probeClosed bool
	// reading counts the datagram reads in progress, stalled says that a
	// probe waits for one to begin (see prober).
	reading atomic.Int32
	stalled atomic.Bool
	// established is set once the handshake has completed.
	established atomic.Bool
	// errQueue says that the socket has its error queue on, where the
	// local stack reports its refusals with their limit.
	errQueue bool
}

// A pathConfig describes the path of a new association.
type pathConfig struct {
	est   int          // initial IP MTU estimate
	fixed int          // fixed IP MTU, or 0
	trace func(string) // receives a line for each change, or nil
	// errQueue says that the socket has its error queue on.
	errQueue bool
	// The timers of the pmtu search (RFC 8899 §5.1.1); zero means the
	// pmtu package's defaults.
	probeTimeout, confirmTimeout, raiseTimeout time.Duration
}

var _ dtls.Path = (*path)(nil)

// newPath returns the state of the path to remote, starting at the IP MTU
// estimate cfg.est, or fixed at the IP MTU cfg.fixed if that is not zero.
func newPath(remote netip.AddrPort, cfg pathConfig) *path {
	f := familyOf(remote.Addr())
	pc := pmtu.Config{
		Family:         f,
		Max:            cfg.est,
		ProbeTimeout:   cfg.probeTimeout,
		ConfirmTimeout: cfg.confirmTimeout,
		RaiseTimeout:   cfg.raiseTimeout,
	}
	return &path{
		family:    f,
		remote:    remote,
		trace:     cfg.trace,
		search:    pmtu.New(pc, time.Now()),
		fixed:     cfg.fixed,
		errQueue:  cfg.errQueue,
		changed:   make(chan struct{}),
		shrunk:    make(chan struct{}, 1),
		validator: icmp.Validator{MinQuote: recordHeaderLen},
	}
}

// mtuLocked returns the IP MTU in force. p.mu is held.
func (p *path) mtuLocked() int {
	if p.fixed != 0 {
		return p.fixed
	}
	return p.search.PMTU()
}

// MTU returns the path MTU in force, in bytes of IP packet.
func (p *path) MTU() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tickLocked(time.Now())
	return p.mtuLocked()
}

// MaxDatagramSize returns the largest UDP payload that fits the path MTU.
func (p *path) MaxDatagramSize() int {
	return p.MTU() - p.family.HeaderLen()
}

// HandshakeTimeout takes in that a flight sent at size bytes timed out.
// With no ICMP message and no local error to go by, the path may be a
// black hole for the flight's datagrams (RFC 2923 §2.1), so from the first
// timeout the estimate steps down the backoff ladder (pmtu Backoff: to BASE
// at once, then rung by rung; RFC 6347
// §4.1.1.1 asks for this after two or three; a flight lost to size is lost
// every time, and waiting costs seconds). It does not step when the path
// has shrunk below size already, nor when no datagram sent since the last
// timeout was larger than the next rung, since a smaller size could not
// have helped.
func (p *path) HandshakeTimeout(size, timeouts int) {
	p.lostFlights.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	largest := p.largest
	p.largest = 0
	mtu := p.mtuLocked()
	if p.fixed != 0 || size+p.family.HeaderLen() < mtu {
		return
	}
	if largest+p.family.HeaderLen() <= p.search.BackoffSize() {
		return
	}
	p.search.Backoff(time.Now())
	p.noteLocked(mtu, fmt.Sprintf("flight of %d-byte datagrams timed out", size))
}

// MessageTooLong takes in that the local stack refused a datagram of size
// bytes. When the refusal was read from the error queue with the limit the
// stack reported, the estimate is below size already and nothing changes;
// otherwise the limit is taken to be just below size.
func (p *path) MessageTooLong(size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	mtu := p.mtuLocked()
	if p.fixed != 0 || size+p.family.HeaderLen() > mtu {
		return
	}
	p.localTooLong.Add(1)
	p.search.MessageTooLong(size+p.family.HeaderLen()-1, time.Now())
	p.noteLocked(mtu, fmt.Sprintf("local stack refused a %d-byte datagram", size))
}

// sending records a datagram about to be sent.
func (p *path) sending(datagram []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent.add(datagram)
	p.largest = max(p.largest, len(datagram))
}

// tickLocked runs the estimate's timers: after the raise timer, what ICMP
// taught is forgotten (RFC 8201 §4). Once probing has started, the
// prober's timer runs them instead, since the search's probe timer must
// not expire while the prober cannot tell whether its probe was lost.
// p.mu is held.
func (p *path) tickLocked(now time.Time) {
	if p.probe != nil || p.search.Deadline().IsZero() || now.Before(p.search.Deadline()) {
		return
	}
	before := p.mtuLocked()
	p.search.Tick(now)
	p.noteLocked(before, "raise timer expired")
}

// noteLocked publishes a change of the path MTU from before, if there was
// one, with why it changed: it wakes the waiters of changed, wakes the
// engine if the size went down, and traces it. After a decrease, the
// datagrams sent before it no longer count toward largest: those above the
// new size were lost. p.mu is held.
func (p *path) noteLocked(before int, why string) {
	p.search.Changed() // only before and after count here
	mtu := p.mtuLocked()
	if mtu == before {
		return
	}
	close(p.changed)
	p.changed = make(chan struct{})
	if mtu < before {
		p.largest = 0
		select {
		case p.shrunk <- struct{}{}:
		default:
		}
	}
	if p.trace != nil {
		p.trace(fmt.Sprintf("path MTU to %s: %d -> %d (%s)", p.remote, before, mtu, why))
	}
}

// takeShrunk reports whether the size went down since the engine was last
// told, and clears that.
func (p *path) takeShrunk() bool {
	select {
	case <-p.shrunk:
		return true
	default:
		return false
	}
}
