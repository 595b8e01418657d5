package sock

import (
	"io"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
)

// sendAttempts is how many times Send tries a datagram whose send meets a
// pending error: on a socket shared by many peers, further ICMP errors may
// arrive between two attempts.
const sendAttempts = 8

// Handler receives what the operating system reports about datagrams the
// socket sent. It is called from the goroutine that was in ReadFrom/Send,
// or from the raw ICMP listener's goroutine; it must not block, and must
// not call [Socket.Close].
type Handler interface {
	// ICMP is an ICMP error about a datagram sent to ev.Remote
	// (frag-needed, Packet Too Big, port/host unreachable, ...), not
	// validated: the caller validates.
	ICMP(ev icmp.Event)
	// LocalLimit says the local stack refused a datagram to dest as larger
	// than mtu (IP bytes; 0 if it did not say). The port of dest is 0
	// where the stack does not name it: Linux names only the address of
	// an IPv4 destination of an unconnected socket.
	LocalLimit(dest netip.AddrPort, mtu int)
}

// A Socket runs the send → drain pending errors → retry logic over a Conn,
// handing every report of the operating system to its Handler. Its methods
// may be called concurrently.
type Socket struct {
	c        Conn
	h        Handler
	local    netip.AddrPort
	peer     netip.AddrPort // the zero AddrPort unless c is connected
	errQueue bool
	raw      io.Closer // the raw ICMP listener, or nil

	// lastLocal holds the latest local refusal read from the error queue:
	// a count of them in the upper 32 bits, its MTU in the lower.
	lastLocal atomic.Uint64

	closeOnce sync.Once

	stats stats
}

// Stats counts what a Socket has done.
type Stats struct {
	Sent     uint64 // datagrams Send sent
	Received uint64 // datagrams ReadFrom returned

	PendingRead    uint64 // reads that met a pending error
	PendingRetried uint64 // sends tried again after a pending error
	NotSent        uint64 // Sends that returned ErrNotSent
	TooLong        uint64 // Sends that returned a *TooLongError

	LocalRefused uint64 // refusals passed to Handler.LocalLimit
	ICMP         uint64 // events passed to Handler.ICMP, from any source
	RawICMP      uint64 // of those, events from the raw ICMP listener
	Unhandled    uint64 // error-queue entries neither a refusal nor ICMP
}

// stats holds the counters of Stats.
type stats struct {
	sent, received                                atomic.Uint64
	pendingRead, pendingRetried, notSent, tooLong atomic.Uint64
	localRefused, icmp, rawICMP, unhandled        atomic.Uint64
}

// New returns a Socket over c that reports to h (nil for none). If c has no
// error queue and can open a raw ICMP listener ([ICMPListener]; it needs
// privilege), New starts one, best effort, watching c's local address;
// Close stops it.
func New(c Conn, h Handler) *Socket {
	if h == nil {
		h = nopHandler{}
	}
	s := &Socket{c: c, h: h, local: c.LocalAddr(), errQueue: c.Capabilities().RecvErr}
	if cc, ok := c.(Connected); ok {
		s.peer = unmapAP(cc.RemoteAddr())
	}
	if l, ok := c.(ICMPListener); ok && !s.errQueue {
		if raw, err := l.ListenICMP(s.rawEvent); err == nil {
			s.raw = raw
		}
	}
	return s
}

// nopHandler ignores everything.
type nopHandler struct{}

func (nopHandler) ICMP(icmp.Event)                {}
func (nopHandler) LocalLimit(netip.AddrPort, int) {}

// Conn returns the Conn the Socket runs over.
func (s *Socket) Conn() Conn { return s.c }

// RawICMP reports whether a raw ICMP listener delivers events.
func (s *Socket) RawICMP() bool { return s.raw != nil }

// Close stops the raw ICMP listener, if any, and closes the Conn. A
// ReadFrom blocked in it returns an error wrapping net.ErrClosed.
func (s *Socket) Close() error {
	s.closeOnce.Do(func() {
		if s.raw != nil {
			// An error here says why the listener stopped early, which
			// nothing can act on any more.
			_ = s.raw.Close()
		}
	})
	return s.c.Close()
}

// Stats returns the counts so far.
func (s *Socket) Stats() Stats {
	t := &s.stats
	return Stats{
		Sent: t.sent.Load(), Received: t.received.Load(),
		PendingRead: t.pendingRead.Load(), PendingRetried: t.pendingRetried.Load(),
		NotSent: t.notSent.Load(), TooLong: t.tooLong.Load(),
		LocalRefused: t.localRefused.Load(), ICMP: t.icmp.Load(),
		RawICMP: t.rawICMP.Load(), Unhandled: t.unhandled.Load(),
	}
}

// ReadFrom reads one datagram. It never returns a pending error: it drains
// the error queue to the handler and reads again. On a Conn without an
// error queue, a pending "connection refused" on a connected socket
// becomes an icmp.Event of KindPortUnreachable about the peer. It returns
// only the Conn's other errors, which are fatal (net.ErrClosed after
// Close).
func (s *Socket) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	for {
		n, from, err := s.c.ReadFrom(b)
		if err == nil {
			s.stats.received.Add(1)
			return n, from, nil
		}
		if !IsPending(err) {
			return n, from, err
		}
		s.stats.pendingRead.Add(1)
		if s.errQueue {
			s.drain()
		} else {
			s.noQueue(err)
		}
	}
}

// Send sends b to `to` (the zero AddrPort on a connected Conn means its
// peer). On a pending error it drains the error queue to the handler and
// tries again, 8 attempts in all. If the drains showed a local refusal of a
// datagram of b's size (the limit it reports is below b's IP size, or it
// reports none), or the Conn has no error queue and the error is
// "message too long", Send returns a *TooLongError. If every attempt met a
// pending error, it returns ErrNotSent: the datagram was NOT sent. Other
// errors are returned as they are.
func (s *Socket) Send(b []byte, to netip.AddrPort) error {
	dest := unmapAP(to)
	if !dest.IsValid() {
		dest = s.peer
	}
	start := s.lastLocal.Load()
	for i := range sendAttempts {
		err := s.c.WriteTo(b, to)
		if err == nil {
			s.stats.sent.Add(1)
			return nil
		}
		if !IsPending(err) {
			return err
		}
		if tl := s.refused(err, len(b), dest, start); tl != nil {
			s.stats.tooLong.Add(1)
			return tl
		}
		if i < sendAttempts-1 {
			s.stats.pendingRetried.Add(1)
		}
	}
	s.stats.notSent.Add(1)
	return ErrNotSent
}

// refused handles err, the pending error of a send of size bytes to dest
// that began when lastLocal was start, and returns the *TooLongError to
// report if the datagram itself was refused, or nil to try again.
func (s *Socket) refused(err error, size int, dest netip.AddrPort, start uint64) *TooLongError {
	if !s.errQueue {
		s.noQueue(err)
		if !platform.IsMessageTooLong(err) {
			return nil
		}
		mtu := s.routeLimit(dest, size)
		s.stats.localRefused.Add(1)
		s.h.LocalLimit(dest, mtu)
		return &TooLongError{MTU: mtu, Err: err}
	}
	s.drain()
	if !platform.IsMessageTooLong(err) {
		return nil
	}
	// Another goroutine's drain may have read this send's refusal: any
	// refusal read since the send began counts.
	cur := s.lastLocal.Load()
	if cur>>32 == start>>32 {
		return nil // a pending "message too long" about an earlier datagram
	}
	mtu := int(uint32(cur))
	if mtu > 0 && dest.IsValid() && size+ipOverhead(dest.Addr()) <= mtu {
		return nil // the refusal of a larger datagram
	}
	return &TooLongError{MTU: mtu, Err: err}
}

// routeLimit returns the route MTU to dest if a datagram of size bytes
// exceeds it, and 0 otherwise: on a Conn without an error queue, the best
// guess of the limit a refusal did not tell.
func (s *Socket) routeLimit(dest netip.AddrPort, size int) int {
	if !dest.IsValid() {
		return 0
	}
	mtu, err := s.c.RouteMTU(dest.Addr())
	if err != nil || mtu <= 0 || size+ipOverhead(dest.Addr()) <= mtu {
		return 0
	}
	return mtu
}

// drain reads the error queue and hands each entry to the handler.
func (s *Socket) drain() {
	// An error here means the socket is closed, which the next read or
	// write reports.
	_ = s.c.DrainErrors(s.queued)
}

// queued hands q, an entry of the error queue, to the handler.
func (s *Socket) queued(q platform.QueuedError) {
	if q.Origin == platform.OriginLocal {
		if !platform.IsMessageTooLong(q.Errno) {
			s.stats.unhandled.Add(1)
			return
		}
		mtu := uint32(min(q.Info, math.MaxInt32))
		for {
			old := s.lastLocal.Load()
			if s.lastLocal.CompareAndSwap(old, (old>>32+1)<<32|uint64(mtu)) {
				break
			}
		}
		s.stats.localRefused.Add(1)
		s.h.LocalLimit(unmapAP(q.Dest), int(mtu))
		return
	}
	ev, ok := icmp.FromQueued(s.local, q)
	if !ok {
		s.stats.unhandled.Add(1)
		return
	}
	s.stats.icmp.Add(1)
	s.h.ICMP(ev)
}

// noQueue handles the pending error err of a Conn without an error queue:
// on a connected socket, a port unreachable is about the peer.
func (s *Socket) noQueue(err error) {
	if !s.peer.IsValid() || !isPortUnreachable(err) {
		return
	}
	ev := icmp.Event{
		Local:    s.local,
		Remote:   s.peer,
		Reporter: s.peer.Addr(),
		Kind:     icmp.KindPortUnreachable,
		Type:     3, // destination unreachable (RFC 792)
		Code:     3, // port unreachable
	}
	if s.peer.Addr().Is6() {
		ev.IPv6, ev.Type, ev.Code = true, 1, 4 // RFC 4443 section 3.1
	}
	s.stats.icmp.Add(1)
	s.h.ICMP(ev)
}

// rawEvent hands an event of the raw ICMP listener to the handler.
func (s *Socket) rawEvent(ev icmp.Event) {
	s.stats.rawICMP.Add(1)
	s.stats.icmp.Add(1)
	s.h.ICMP(ev)
}
