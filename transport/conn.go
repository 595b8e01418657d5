package transport

import (
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
)

// A Conn is a DTLS association over UDP, returned by [Dial] and
// [Listener.Accept]. It is a [dtls.Conn]: one Write sends one record in one
// datagram, and one Read returns the data of one record. Its MaxPayload
// follows the path MTU, which the transport learns as the package
// documentation describes.
type Conn struct {
	*dtls.Conn
	path *path
	caps platform.Capabilities
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
	p.noteLocked(before, "cap set")
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
	return nil
}

// ResetPathMTU forgets what was learned about the path: the path MTU
// returns to the initial estimate, within the cap.
func (c *Conn) ResetPathMTU() {
	p := c.path
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.mtuLocked()
	p.search.Reset(time.Now())
	p.noteLocked(before, "reset")
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
	return PathStats{
		ICMPAccepted: v.Accepted,
		ICMPRejected: v.Rejected(),
		LocalTooLong: c.path.localTooLong.Load(),
		LostFlights:  c.path.lostFlights.Load(),
	}
}

// Capabilities returns what the operating system provided on the
// association's socket: the Don't Fragment mode and whether ICMP errors
// reach the transport.
func (c *Conn) Capabilities() platform.Capabilities { return c.caps }
