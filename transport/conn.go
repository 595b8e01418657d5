package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/pmtu"
)

// A Conn is a DTLS association over UDP, returned by [Dial], [Client] and
// [Listener.AcceptContext]. It is a net.Conn that keeps datagram
// boundaries: one Write sends one record in one datagram, and one Read
// returns the data of one record. Its MaxPayload follows the path MTU,
// which the transport learns as the package documentation describes.
//
// The protocol runs whether or not the application calls Read or Write:
// the engine answers retransmissions and heartbeats, probes the path, and
// hears ICMP on its own; Read only takes decrypted data from a bounded
// queue (see [dtls.Config.ReceiveQueueSize]).
type Conn struct {
	a      *assoc
	dc     *dtls.Conn
	caps   platform.Capabilities
	client *clientSide // a client's socket and reader; nil for a server's
}

// ErrNotSent is returned, wrapped, by a Write whose datagram could not be
// sent because every attempt met an error the system reported about
// earlier datagrams (a flood of ICMP errors, forged or not, can keep the
// socket's pending error set). Nothing was sent; the association is
// unharmed, and the Write may be tried again. It is never reported as a
// datagram sent.
var ErrNotSent = sock.ErrNotSent

// ErrIdleTimeout is returned by Read and Write on a server association that
// the listener closed because its peer sent nothing for
// ListenConfig.IdleTimeout.
var ErrIdleTimeout = errors.New("dtls: association closed: the peer was idle too long")

// Handshake runs the handshake if it has not run yet, as [dtls.Conn.Handshake]
// does. A server association's handshake has completed before Accept
// returns it.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext is Handshake bounded by ctx, as
// [dtls.Conn.HandshakeContext]. When a handshake fails after the peer's
// address answered with an ICMP port or host unreachable, the error says so
// (and errors.As finds an [*UnreachableError]).
func (c *Conn) HandshakeContext(ctx context.Context) error {
	err := c.dc.HandshakeContext(ctx)
	if err == nil {
		<-c.a.ready // the transport has heard: probing has started
		return nil
	}
	if u := c.a.path.lastUnreachable(); u != nil {
		return &handshakeError{err: err, unreachable: u}
	}
	return err
}

// Rehandshake renegotiates the association's keys, as
// [dtls.Conn.Rehandshake]: a server asks with a HelloRequest, a client
// sends a ClientHello; data flows both ways meanwhile. Which
// renegotiations the peer may start is dtls.Config.Renegotiation's
// choice.
func (c *Conn) Rehandshake(ctx context.Context) error {
	if err := c.HandshakeContext(ctx); err != nil {
		return err
	}
	return c.idleError(c.dc.Rehandshake(ctx))
}

// UpdateKeys sends a DTLS 1.3 KeyUpdate, as [dtls.Conn.UpdateKeys] does:
// this side sends with new keys once the peer acknowledges it, and with
// requestPeer the peer updates its own. It needs a DTLS 1.3 association
// whose handshake completed.
func (c *Conn) UpdateKeys(requestPeer bool) error {
	return c.idleError(c.dc.UpdateKeys(requestPeer))
}

// handshakeError adds what the ICMP messages about the peer said to a
// failed handshake's error.
type handshakeError struct{ err, unreachable error }

func (e *handshakeError) Error() string   { return e.err.Error() + "; " + e.unreachable.Error() }
func (e *handshakeError) Unwrap() []error { return []error{e.err, e.unreachable} }

// Read reads the data of one record into b, waiting for one to arrive, as
// [dtls.Conn.Read] does.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.dc.Read(b)
	return n, c.idleError(err)
}

// Write sends b as one record in one datagram, as [dtls.Conn.Write] does. A
// Write larger than MaxPayload fails with a [*dtls.PayloadTooLargeError]
// and sends nothing; one the socket could not send returns an error
// wrapping [ErrNotSent]. After the peer's close_notify it fails with
// [dtls.ErrPeerClosed], after an idle timeout with [ErrIdleTimeout], and
// after Close with net.ErrClosed.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.dc.Write(b)
	return n, c.idleError(err)
}

// WriteBatch sends each of bufs as one record in a datagram of its own, as
// Write does, with as few system calls as the system allows: on Linux,
// sendmmsg, and UDP segmentation for records of equal size (see
// Capabilities). The batch is sent before WriteBatch returns. It returns
// the number of records sent from the start; a buffer larger than
// MaxPayload ends the batch with a *dtls.PayloadTooLargeError, the records
// before it sent.
func (c *Conn) WriteBatch(bufs [][]byte) (int, error) {
	n, err := c.dc.WriteBatch(bufs)
	return n, c.idleError(err)
}

func (c *Conn) idleError(err error) error {
	if err != nil && c.a.idled.Load() && errors.Is(err, net.ErrClosed) {
		return ErrIdleTimeout
	}
	return err
}

// Close sends close_notify if the handshake completed, ends the
// association and stops its timers; a client's socket is closed too, and
// its reader stopped.
func (c *Conn) Close() error {
	err := c.dc.Close()
	if c.client != nil {
		c.client.stop()
	}
	return err
}

// LocalAddr returns the local address of the association's socket.
func (c *Conn) LocalAddr() net.Addr { return c.dc.LocalAddr() }

// RemoteAddr returns the peer's address, a *net.UDPAddr.
func (c *Conn) RemoteAddr() net.Addr { return c.dc.RemoteAddr() }

// SetDeadline sets the read and write deadlines, as [dtls.Conn.SetDeadline].
func (c *Conn) SetDeadline(t time.Time) error { return c.dc.SetDeadline(t) }

// SetReadDeadline sets the deadline for Read; the protocol goes on
// regardless.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.dc.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline for Write.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.dc.SetWriteDeadline(t) }

// ConnectionState returns details about the association.
func (c *Conn) ConnectionState() dtls.ConnectionState { return c.dc.ConnectionState() }

// MaxPayload returns the largest Write that fits in one datagram at the
// current path MTU, or 0 before the handshake completes.
func (c *Conn) MaxPayload() int { return c.dc.MaxPayload() }

// Stats returns the association's DTLS counters, among them the records
// dropped because the application did not read them in time.
func (c *Conn) Stats() dtls.Stats { return c.dc.Stats() }

// Capabilities returns what the operating system provided on the
// association's socket: the Don't Fragment mode and whether ICMP errors
// reach the transport.
func (c *Conn) Capabilities() platform.Capabilities { return c.caps }

// Probing reports whether the association probes its path: true once
// the handshake completed, in DTLS 1.3 (padded KeyUpdates, which the peer
// acknowledges) or with a DTLS 1.2 peer that accepts heartbeat requests
// (RFC 6520), unless probing was disabled or the size is fixed.
// When it is false, the path MTU follows ICMP messages and local errors
// only.
func (c *Conn) Probing() bool {
	p := c.a.path
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probingLocked()
}

// PathMTU returns the current path MTU to the peer in bytes of IP packet,
// IP and UDP headers included.
func (c *Conn) PathMTU() int { return int(c.a.path.mtu()) }

// maxIPMTU is the largest IP packet: the 16-bit total length of IPv4 (and
// a payload length of IPv6 without jumbograms).
const maxIPMTU = 65535

// SetMaxMTU caps the path MTU at mtu bytes including the IP and UDP headers
// (RFC 8899 §5.3.1: MAX_PLPMTU); 0 removes the cap. It only lowers the cap
// the association started with: it cannot raise the path MTU above the MTU
// of the route, nor above Dialer.MaxMTU or ListenConfig.MaxMTU
// (DefaultMaxMTU if zero). It returns an error, changing nothing, for a cap
// below the smallest MTU the path's IP version allows (576 for IPv4, 1280
// for IPv6), above 65535, or below a fixed MTU.
func (c *Conn) SetMaxMTU(mtu int) error {
	p := c.a.path
	switch floor := p.family.Floor(); {
	case mtu == 0:
	case mtu < int(floor) || mtu > maxIPMTU:
		return fmt.Errorf("dtls: MTU cap %d is outside [%d, %d] for %v", mtu, floor, maxIPMTU, p.family)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f := p.search.Fixed(); f != 0 && mtu != 0 && int(f) > mtu {
		return fmt.Errorf("dtls: MTU cap %d is below the fixed MTU %d", mtu, f)
	}
	before := p.search.PMTU()
	p.search.SetCap(pmtu.MTU(mtu), time.Now())
	if p.probe != nil {
		p.probe.dropLocked(p.search.PMTU())
		p.probe.pokeLocked()
	}
	p.noteLocked(before, "cap set")
	return nil
}

// SetFixedMTU fixes the path MTU at mtu bytes including the IP and UDP
// headers, as Dialer.MTU does; 0 returns to the estimate. It returns an
// error, changing nothing, for an MTU that leaves less than
// dtls.MinDatagramSize bytes for a datagram, above 65535, above the cap
// (SetMaxMTU's, and Dialer.MaxMTU or ListenConfig.MaxMTU, DefaultMaxMTU if
// zero), or above the MTU of the route to the peer.
func (c *Conn) SetFixedMTU(mtu int) error {
	p := c.a.path
	if err := checkMTU(mtu, p.family); err != nil {
		return err
	}
	opts := "ListenConfig"
	if c.client != nil {
		opts = "Dialer"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkFixedLocked(mtu, opts); err != nil {
		return err
	}
	before := p.search.PMTU()
	p.search.SetFixed(pmtu.MTU(mtu), time.Now())
	if p.probe != nil {
		if mtu != 0 {
			// The search forgot the probe in flight: it says nothing
			// about a fixed size, and no probe goes while it is fixed.
			p.probe.cur, p.probe.suspect = inFlight{}, inFlight{}
		}
		p.probe.pokeLocked()
	}
	p.noteLocked(before, "fixed")
	return nil
}

// checkMTU checks a fixed MTU: 0 (none), or room for a datagram of at least
// dtls.MinDatagramSize bytes, and not above 65535.
func checkMTU(mtu int, f pmtu.Family) error {
	least := dtls.MinDatagramSize + int(f.MTU(0))
	if mtu != 0 && (mtu < least || mtu > maxIPMTU) {
		return fmt.Errorf("dtls: MTU %d is outside [%d, %d] for %v", mtu, least, maxIPMTU, f)
	}
	return nil
}

// checkMaxMTU checks the cap opts.MaxMTU of a path of family f as
// SetMaxMTU checks its argument: 0 (DefaultMaxMTU), or an MTU from the
// family's floor to 65535.
func checkMaxMTU(opts string, mtu int, f pmtu.Family) error {
	if floor := f.Floor(); mtu != 0 && (mtu < int(floor) || mtu > maxIPMTU) {
		return fmt.Errorf("dtls: %s.MaxMTU %d is outside [%d, %d] for %v", opts, mtu, floor, maxIPMTU, f)
	}
	return nil
}

// checkFixedMTU checks the fixed MTU opts.MTU of a path of family f as
// checkMTU does, and that the cap, maxMTU or DefaultMaxMTU if zero, is not
// below it: the cap would lower it without a word.
func checkFixedMTU(opts string, mtu, maxMTU int, f pmtu.Family) error {
	if err := checkMTU(mtu, f); err != nil {
		return err
	}
	switch {
	case maxMTU == 0 && mtu > DefaultMaxMTU:
		return fmt.Errorf("dtls: %s.MTU %d is above the MTU cap, DefaultMaxMTU (%d); set %s.MaxMTU to %d or more to fix a larger MTU",
			opts, mtu, DefaultMaxMTU, opts, mtu)
	case maxMTU != 0 && mtu > maxMTU:
		return fmt.Errorf("dtls: %s.MTU %d is above %s.MaxMTU (%d); raise %s.MaxMTU to fix a larger MTU",
			opts, mtu, opts, maxMTU, opts)
	}
	return nil
}

// ResetPathMTU forgets what was learned about the path: the path MTU
// returns to the route's MTU, within the cap, or, while probing, to
// BASE_PLPMTU (RFC 8899 §5.1.2), from which the search starts again.
func (c *Conn) ResetPathMTU() {
	p := c.a.path
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.search.PMTU()
	p.search.Reset(time.Now())
	if p.probe != nil {
		p.probe.cur, p.probe.suspect = inFlight{}, inFlight{}
		p.probe.pokeLocked()
	}
	p.noteLocked(before, "reset")
}

// PathMTUChanged returns a channel that is closed when the path MTU next
// changes. Call it again after each change.
func (c *Conn) PathMTUChanged() <-chan struct{} {
	p := c.a.path
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return p.changed
}
