package memnet

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// NoQuote, as PathConfig.QuoteLen, makes ICMP errors quote no UDP payload:
// only the IP and UDP headers of the datagram, as RFC 792 allows.
const NoQuote = -1

// Default quote lengths, in bytes of UDP payload: a Linux router quotes as
// much of the datagram as fits in an ICMPv4 error of 576 bytes (RFC 1812
// section 4.3.2.3) or an ICMPv6 error of 1280 (RFC 4443 section 2.4 (c)).
const (
	DefaultQuoteLen4 = 576 - 20 - 8 - 20 - 8
	DefaultQuoteLen6 = 1280 - 40 - 8 - 40 - 8
)

// DefaultReorderDelay is how long a reordered datagram is held back when
// PathConfig.ReorderDelay is zero.
const DefaultReorderDelay = time.Millisecond

// PathConfig describes the path from one address to another, in one
// direction. The zero value is a perfect path: no bottleneck, no loss, no
// delay. A datagram meets, in order: Drop, Loss, the bottleneck MTU,
// Duplicate, Reorder and Delay.
type PathConfig struct {
	// MTU is the bottleneck's MTU in bytes of IP packet; 0 means none. A
	// larger datagram is dropped and, unless BlackHole is set, answered
	// with an ICMPv4 "fragmentation needed" (type 3, code 4, RFC 1191) or
	// an ICMPv6 "Packet Too Big" (RFC 8201) reporting MTU.
	MTU int
	// BlackHole makes the bottleneck drop datagrams too large without an
	// ICMP error (RFC 2923 section 2.1).
	BlackHole bool
	// QuoteLen is how many bytes of the datagram's UDP payload the ICMP
	// errors about datagrams on this path quote: 0 means Linux's
	// (DefaultQuoteLen4 or DefaultQuoteLen6), NoQuote none.
	QuoteLen int
	// Reporter is the address of the router that sends the bottleneck's
	// ICMP errors; the zero Addr means the destination address.
	Reporter netip.Addr
	// Loss, Duplicate and Reorder are the probabilities, from 0 to 1,
	// that a datagram is lost, delivered twice, or held back by
	// ReorderDelay so that those sent after it overtake it.
	Loss, Duplicate, Reorder float64
	// Delay is the one-way delay. An ICMP error from the bottleneck
	// reaches the sender after Delay; a port unreachable after the delay
	// of the path back.
	Delay time.Duration
	// ReorderDelay is the extra delay of a reordered datagram; 0 means
	// DefaultReorderDelay.
	ReorderDelay time.Duration
	// Seed seeds the path's random generator, which draws losses,
	// duplicates and reorderings.
	Seed uint64
	// Drop, if not nil, is called with every datagram that enters the
	// path, from the sending goroutine, and drops it by returning true:
	// for scripted drops ("drop the server's 5th datagram"). It may call
	// the Network's methods, but not Close. It must not keep or modify
	// the payload.
	Drop func(d Datagram) bool
}

// A Datagram is a datagram on a path, as PathConfig.Drop sees it.
type Datagram struct {
	From, To netip.AddrPort
	Payload  []byte
	// Seq counts the datagrams that entered the path, from 1.
	Seq uint64
}

// PathStats counts what happened on a path.
type PathStats struct {
	Sent       uint64 // datagrams that entered the path
	Dropped    uint64 // dropped by PathConfig.Drop
	Lost       uint64 // lost at random
	TooBig     uint64 // larger than the bottleneck's MTU
	ICMPSent   uint64 // of those, answered with an ICMP error
	Duplicated uint64 // delivered twice
	Reordered  uint64 // held back
	Delivered  uint64 // queued on a socket (a duplicate counts twice)
	Overflow   uint64 // dropped at a socket whose receive buffer was full
	NoSocket   uint64 // arrived where nothing listens: port unreachable
	NoHost     uint64 // arrived at an address no host has
}

// pathKey names a path by its source and destination addresses.
type pathKey struct{ from, to netip.Addr }

// A path is the state of one direction between two addresses.
type path struct {
	cfg   PathConfig
	rng   *rand.Rand
	seq   uint64 // datagrams that entered the path
	stats PathStats
}

// seedStream is the second word of the seed of every path's generator.
const seedStream = 0x6d656d6e6574 // "memnet"

// configure sets the path's configuration and restarts its generator.
func (p *path) configure(cfg PathConfig) {
	cfg.Loss = clamp01(cfg.Loss)
	cfg.Duplicate = clamp01(cfg.Duplicate)
	cfg.Reorder = clamp01(cfg.Reorder)
	cfg.MTU = max(cfg.MTU, 0)
	cfg.Delay = max(cfg.Delay, 0)
	if cfg.ReorderDelay <= 0 {
		cfg.ReorderDelay = DefaultReorderDelay
	}
	cfg.Reporter = cfg.Reporter.Unmap()
	p.cfg = cfg
	p.rng = rand.New(rand.NewPCG(cfg.Seed, seedStream))
}

// clamp01 returns x within [0, 1]; NaN is 0.
func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

// chance draws whether an event of probability prob happens; a
// probability of zero draws nothing.
func (p *path) chance(prob float64) bool {
	return prob > 0 && p.rng.Float64() < prob
}

// transmitLocked carries a datagram along the path p, past Drop.
func (n *Network) transmitLocked(p *path, pkt packet) {
	if p.chance(p.cfg.Loss) {
		p.stats.Lost++
		return
	}
	if p.cfg.MTU > 0 && len(pkt.payload)+overhead(pkt.dst.Addr()) > p.cfg.MTU {
		p.stats.TooBig++
		if !p.cfg.BlackHole {
			p.stats.ICMPSent++
			n.sendICMPLocked(tooBig(pkt, p.cfg), p.cfg.Delay)
		}
		return
	}
	copies := 1
	if p.chance(p.cfg.Duplicate) {
		copies = 2
		p.stats.Duplicated++
	}
	delay := p.cfg.Delay
	if p.chance(p.cfg.Reorder) {
		delay += p.cfg.ReorderDelay
		p.stats.Reordered++
	}
	for range copies {
		n.carryLocked(pkt, delay)
	}
}

// carryLocked delivers pkt after delay: at once if it is zero.
func (n *Network) carryLocked(pkt packet, delay time.Duration) {
	if delay == 0 {
		n.arriveLocked(pkt)
		return
	}
	n.scheduleLocked(delay, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if !n.closed {
			n.arriveLocked(pkt)
		}
	})
}

// arriveLocked delivers pkt at its destination: to the socket that
// receives it, or, if there is none, with a port unreachable to the
// sender.
func (n *Network) arriveLocked(pkt packet) {
	p := n.pathLocked(pkt.src.Addr(), pkt.dst.Addr())
	h := n.byAddr[pkt.dst.Addr()]
	if h == nil {
		p.stats.NoHost++
		return
	}
	c := h.lookupLocked(pkt.dst, pkt.src)
	if c == nil {
		p.stats.NoSocket++
		back := n.pathLocked(pkt.dst.Addr(), pkt.src.Addr())
		n.sendICMPLocked(portUnreachable(pkt, p.cfg), back.cfg.Delay)
		return
	}
	if c.enqueueLocked(pkt) {
		p.stats.Delivered++
	} else {
		p.stats.Overflow++
	}
}
