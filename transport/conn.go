package transport

import (
	"context"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/pmtu"
)

// A Conn is a DTLS association over UDP, returned by [Dial] and
// [Listener.Accept]. It is a [dtls.Conn]: one Write sends one record in one
// datagram, and one Read returns the data of one record. Its MaxPayload
// follows the path MTU, which the transport learns as the package
// documentation describes.
//
// # Probing
//
// Once the first handshake completes, if the peer accepts heartbeat
// requests (RFC 6520 §2), the Conn probes the path with padded
// HeartbeatRequests (RFC 8899 §6.2.1): it searches upward from the largest
// handshake datagram the peer answered, confirms the size found
// periodically, falls back when confirmations go unanswered (a black hole,
// RFC 8899 §4.3), and tries larger sizes again after the raise timer. One
// probe is in flight at a time; a lost probe is a lost probe, never an
// error of the connection. A peer that does not accept heartbeats, or
// [Dialer.DisableProbing], leaves the path MTU to ICMP messages and local
// errors; [Conn.Probing] tells which.
//
// Responses to probes are read, like every record, only inside Read. A
// probe counts as lost only if its timer expires while a Read is waiting
// for a datagram, which has then read everything that arrived before;
// when its timer expires with no Read in progress, its fate is unknown,
// and it is sent again when the next Read begins. An application that
// does not keep a Read in progress therefore probes slowly, or not at all,
// but never loses its path MTU to its own inattention.
type Conn struct {
	*dtls.Conn
	path    *path
	caps    platform.Capabilities
	noProbe bool // Dialer.DisableProbing or ListenConfig.DisableProbing

	probeOnce sync.Once
}

// PathStats are the counters of a Conn's path.
type PathStats struct {
	// ICMPAccepted counts the ICMP "fragmentation needed" (RFC 1191) and
	// "Packet Too Big" (RFC 8201) messages about this association that
	// passed validation; ICMPRejected those that did not.
	ICMPAccepted, ICMPRejected uint64
	// LocalTooLong counts the sends the local stack refused as too long.
	LocalTooLong uint64
	// LostFlights counts the handshake flights that went unanswered: the
	// retransmission timer expired, or the peer retransmitted its previous
	// flight (RFC 6347 §4.2.4). Flights sent again at once because the path
	// shrank are not counted.
	LostFlights uint64
	// ProbesSent counts the path-MTU probes sent, each sending of a probe
	// sent again included; ProbesAcked those answered and ProbesLost those
	// that went unanswered while Read was waiting, or that an ICMP message
	// said were too big (see Conn).
	ProbesSent, ProbesAcked, ProbesLost uint64
	// Search is the state of the path-MTU search (RFC 8899 §5.2):
	// pmtu.Disabled until probing starts, and for a Conn that does not
	// probe.
	Search pmtu.State
}

// Handshake runs the handshake, if it has not run yet, as
// [dtls.Conn.Handshake] does; after the first one that succeeds, the Conn
// starts probing the path (see Conn).
func (c *Conn) Handshake(ctx context.Context) error {
	if err := c.Conn.Handshake(ctx); err != nil {
		return err
	}
	c.probeOnce.Do(func() {
		c.path.established.Store(true)
		if !c.noProbe {
			c.path.startProbing(c.Conn)
		}
	})
	return nil
}

// Read reads the data of one record, after running the handshake if it has
// not run yet, as [dtls.Conn.Read] does. It also processes the responses
// to path-MTU probes.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.Handshake(context.Background()); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// Write sends b as one record in one datagram, after running the handshake
// if it has not run yet, as [dtls.Conn.Write] does. A Write larger than
// MaxPayload fails with a [*dtls.PayloadTooLargeError] and sends nothing.
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.Handshake(context.Background()); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// Close stops probing, sends close_notify if the handshake completed, and
// closes the association, as [dtls.Conn.Close] does.
func (c *Conn) Close() error {
	c.path.stopProbing()
	return c.Conn.Close()
}

// Probing reports whether the Conn probes its path with heartbeats: true
// once the handshake completed with a peer that accepts heartbeat
// requests, unless probing was disabled. When it is false, the path MTU
// follows ICMP messages and local errors only.
func (c *Conn) Probing() bool {
	p := c.path
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probe != nil && !p.probe.closed
}

// PathMTU returns the current path MTU to the peer in bytes of IP packet,
// IP and UDP headers included: the route's MTU at first (RFC 4347
// §4.1.1.1), lowered by validated ICMP messages, local "message too long"
// errors and handshake timeouts.
func (c *Conn) PathMTU() int { return c.path.MTU() }

// SetMaxMTU caps the path MTU at mtu bytes including the IP and UDP
// headers (RFC 8899 §5.3.1: MAX_PLPMTU); mtu <= 0 removes the cap. It
// cannot raise the path MTU above the initial estimate.
func (c *Conn) SetMaxMTU(mtu int) {
	p := c.path
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.mtuLocked()
	p.search.SetCap(mtu, time.Now())
	// A lower cap makes the search forget a probe above it; a higher one
	// restarts the search, forgetting any probe.
	if raised := p.capMTU > 0 && (mtu <= 0 || mtu > p.capMTU); raised {
		p.dropProbeLocked(0, false)
	} else {
		p.dropProbeLocked(mtu, false)
	}
	p.capMTU = max(mtu, 0)
	p.noteLocked(before, "cap set")
	p.pokeLocked()
}

// SetFixedMTU fixes the path MTU at mtu bytes including the IP and UDP
// headers, as Dialer.MTU does; mtu == 0 returns to the estimate. It returns
// an error if mtu leaves less than 64 bytes for a datagram.
func (c *Conn) SetFixedMTU(mtu int) error {
	if mtu < 0 {
		mtu = 0
	}
	if err := checkMTU(mtu); err != nil {
		return err
	}
	p := c.path
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.mtuLocked()
	p.fixed = mtu
	p.noteLocked(before, "fixed")
	p.pokeLocked()
	return nil
}

// ResetPathMTU forgets what was learned about the path: the path MTU
// returns to the initial estimate, within the cap, or, while probing, to
// BASE_PLPMTU (RFC 8899 §5.1.2), from which the search starts again.
func (c *Conn) ResetPathMTU() {
	p := c.path
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.mtuLocked()
	p.search.Reset(time.Now())
	p.dropProbeLocked(0, false)
	p.noteLocked(before, "reset")
	p.pokeLocked()
}

// PathMTUChanged returns a channel that is closed when the path MTU next
// changes. Call it again after each change.
func (c *Conn) PathMTUChanged() <-chan struct{} {
	p := c.path
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// PathStats returns the counters of the association's path.
func (c *Conn) PathStats() PathStats {
	v := c.path.validator.Stats()
	s := PathStats{
		ICMPAccepted: v.Accepted,
		ICMPRejected: v.Rejected(),
		LocalTooLong: c.path.localTooLong.Load(),
		LostFlights:  c.path.lostFlights.Load(),
	}
	c.path.mu.Lock()
	defer c.path.mu.Unlock()
	if pr := c.path.probe; pr != nil {
		s.ProbesSent, s.ProbesAcked, s.ProbesLost = pr.sent.Load(), pr.acked.Load(), pr.lost.Load()
		s.Search = c.path.search.State()
	}
	return s
}

// Capabilities returns what the operating system provided on the
// association's socket: the Don't Fragment mode and whether ICMP errors
// reach the transport.
func (c *Conn) Capabilities() platform.Capabilities { return c.caps }
