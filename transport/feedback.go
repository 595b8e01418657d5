package transport

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
)

// queued acts on q, an entry of the error queue of the socket bound to
// local about a datagram sent on this path: a local refusal with the limit
// the stack reported, or an ICMP error, which must pass validation first.
// It reports whether the path MTU went down.
func (p *path) queued(q platform.QueuedError, local netip.AddrPort) bool {
	if q.Origin == platform.OriginLocal {
		if q.Errno != syscall.EMSGSIZE || q.Info == 0 {
			return false
		}
		return p.localLimit(int(q.Info))
	}
	ev, ok := icmp.FromQueued(local, q)
	if !ok || ev.Kind != icmp.KindFragNeeded && ev.Kind != icmp.KindPacketTooBig {
		return false
	}
	return p.tooBig(ev, local)
}

// localLimit takes in that the local stack refuses datagrams above the IP
// MTU mtu, as the interface's MTU or a route's demands (RFC 8899 §5.1.2:
// MAX_PLPMTU cannot exceed it); while probing, a limit above the path MTU
// still bounds the probes. It reports whether the path MTU went down.
func (p *path) localLimit(mtu int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.mtuLocked()
	if p.fixed != 0 || mtu >= before && p.probe == nil {
		return false
	}
	p.localTooLong.Add(1)
	p.search.MessageTooLong(mtu, time.Now())
	p.dropProbeLocked(mtu, false)
	p.noteLocked(before, "local stack limit")
	return p.mtuLocked() < before
}

// tooBig validates ev, a "fragmentation needed" or "Packet Too Big" about a
// datagram this path sent from local, and lowers the estimate to the MTU
// it reports (RFC 1191, RFC 8201). The quote must name the first record of
// a datagram sent recently, whose size the reported MTU must be below (RFC
// 8899 §4.6.1); a quote too short to show a record header is checked
// against the largest datagram sent recently. It reports whether the path
// MTU went down.
func (p *path) tooBig(ev icmp.Event, local netip.AddrPort) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	size, found := p.sent.lookup(ev.Quote)
	if !found {
		size = p.sent.largest()
	}
	match := func([]byte) bool { return found }
	ev, err := p.validator.Validate(ev, local, p.remote, size, match)
	if err != nil {
		if p.trace != nil {
			p.trace(fmt.Sprintf("ignored %v: %v", ev, err))
		}
		return false
	}
	before := p.mtuLocked()
	if p.fixed != 0 {
		return false
	}
	p.search.PacketTooBig(ev.MTU, time.Now())
	p.dropProbeLocked(ev.MTU, true)
	p.noteLocked(before, fmt.Sprintf("%v", ev))
	return p.mtuLocked() < before
}

// A tooLongError is a send or read error that means a datagram was too
// large for the path. It wraps dtls.ErrMessageTooLong, which the engine
// takes as a path signal rather than a failure, and the socket's error.
type tooLongError struct{ err error }

func (e *tooLongError) Error() string {
	if e.err == nil {
		return dtls.ErrMessageTooLong.Error()
	}
	return dtls.ErrMessageTooLong.Error() + ": " + e.err.Error()
}

func (e *tooLongError) Unwrap() []error { return []error{dtls.ErrMessageTooLong, e.err} }

// sendAttempts bounds the sends of one datagram that fail with an ICMP
// error about earlier datagrams.
const sendAttempts = 3

// send writes datagram on the path with write. With the error queue on,
// Linux reports an ICMP error about an earlier datagram, possibly to
// another peer of the same socket, as the pending error of the next send,
// which then sends nothing: a "message too long", a "connection refused".
// So on such an error, drain reads the error queue and, if datagram still
// fits the path, it is sent again, a few times at most: on a shared socket
// with many peers, more errors may arrive in between. A "message too long"
// for a datagram that no longer fits comes back wrapping
// dtls.ErrMessageTooLong, so that the engine fragments again at the new
// size. Any other such error is about an earlier datagram, not this one,
// which then counts as lost, as a datagram may be (RFC 6347 §4.1.1). So
// does a "message too long" that persists for a datagram that still fits,
// when the socket has an error queue: a refusal of this datagram by the
// local stack would have been queued with its limit, so the errors are
// ICMP messages about earlier datagrams, which a flood of forged ones can
// keep coming. Without an error queue, it is taken as a refusal.
func (p *path) send(datagram []byte, write func([]byte) (int, error), drain func()) (int, error) {
	p.sending(datagram)
	var err error
	for range sendAttempts {
		var n int
		if n, err = write(datagram); err == nil || !platform.IsTransientReadError(err) {
			return n, err
		}
		drain()
		if platform.IsMessageTooLong(err) && len(datagram) > p.MaxDatagramSize() {
			return 0, &tooLongError{err}
		}
	}
	if platform.IsMessageTooLong(err) && !p.errQueue {
		return 0, &tooLongError{err}
	}
	return len(datagram), nil
}

// errPathShrunk is returned by a read to wake the engine: the path MTU
// went down, and a flight in progress must be sent again at the new size.
var errPathShrunk = &tooLongError{errors.New("path MTU lowered")}
