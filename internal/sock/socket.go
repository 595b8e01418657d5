package sock

import (
	"io"
	"math"
	"net/netip"
	"slices"
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
	errQueue bool           // c has an error queue, read on pending errors
	src      ICMPSource     // where the events of Handler.ICMP come from
	raw      io.Closer      // the raw ICMP listener, or nil
	// pendingEvents makes a pending "connection refused" of a connected
	// Conn without an error queue an event (ICMPAuto).
	pendingEvents bool

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
	Ignored      uint64 // error-queue ICMP entries dropped: not the source

	ReadBatches  uint64 // batches of datagrams ReadBatch read from a BatchConn
	SendBatches  uint64 // batches SendBatch handed to a BatchConn
	ShortBatches uint64 // of those, batches the system stopped without a reason
}

// stats holds the counters of Stats.
type stats struct {
	sent, received                                atomic.Uint64
	pendingRead, pendingRetried, notSent, tooLong atomic.Uint64
	localRefused, icmp, rawICMP, unhandled        atomic.Uint64
	ignored                                       atomic.Uint64
	readBatches, sendBatches, shortBatches        atomic.Uint64
}

// nopHandler ignores everything.
type nopHandler struct{}

func (nopHandler) ICMP(icmp.Event)                {}
func (nopHandler) LocalLimit(netip.AddrPort, int) {}

// Conn returns the Conn the Socket runs over.
func (s *Socket) Conn() Conn { return s.c }

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
		Ignored:     t.ignored.Load(),
		ReadBatches: t.readBatches.Load(), SendBatches: t.sendBatches.Load(),
		ShortBatches: t.shortBatches.Load(),
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
		s.readPending(err)
	}
}

// readPending handles err, the pending error a read met: it drains the
// error queue to the handler or, without one, hands the handler what err
// says.
func (s *Socket) readPending(err error) {
	s.stats.pendingRead.Add(1)
	if s.errQueue {
		s.drain()
	} else {
		s.noQueue(err)
	}
}

// Send sends b to `to` (the zero AddrPort on a connected Conn means its
// peer). On a pending error it tries again, 8 attempts in all, reading
// the error queue between every other two; the handler hears what the
// queue held once Send is done with the datagram. If the queue showed a
// local refusal of a datagram of b's size (the limit it reports is below
// b's IP size, or it reports none), or the Conn has no error queue and two
// attempts in a row failed with "message too long", Send returns a
// *TooLongError. If every attempt met a pending error, it returns
// ErrNotSent: the datagram was NOT sent. Other errors are returned as they
// are.
func (s *Socket) Send(b []byte, to netip.AddrPort) error {
	// The common case first, in a frame that allocates nothing.
	err := s.c.WriteTo(b, to)
	if err == nil {
		s.stats.sent.Add(1)
		return nil
	}
	if !IsPending(err) {
		return err
	}
	return s.sendAgain(b, to, err)
}

// sendAgain is Send after a first attempt failed with the pending error
// first.
func (s *Socket) sendAgain(b []byte, to netip.AddrPort, first error) error {
	dest := unmapAP(to)
	if !dest.IsValid() {
		dest = s.peer
	}
	// Under a flood of ICMP errors about earlier datagrams, an arrival
	// between two attempts makes the second fail too. The attempt after a
	// pending error therefore comes at once, and the next after reading
	// the queue comes before the handler hears the entries: the time in
	// which an error can arrive stays short.
	var queued []platform.QueuedError
	unread := false // a pending error was met, and the queue not read since
	defer func() {
		if unread {
			s.collect(&queued)
		}
		s.handAll(queued)
	}()
	start := s.lastLocal.Load()
	again := false // the attempt before failed with "message too long"
	for i := range sendAttempts {
		err := first
		if i > 0 {
			err = s.c.WriteTo(b, to)
		}
		if err == nil {
			s.stats.sent.Add(1)
			return nil
		}
		if !IsPending(err) {
			return err
		}
		last := i == sendAttempts-1
		if s.errQueue && !unread && !last {
			unread = true // the queue is read after the next attempt
		} else {
			unread = false
			if tl := s.refused(err, len(b), dest, start, again, &queued); tl != nil {
				s.stats.tooLong.Add(1)
				return tl
			}
			again = platform.IsMessageTooLong(err)
		}
		if !last {
			s.stats.pendingRetried.Add(1)
		}
	}
	s.stats.notSent.Add(1)
	return ErrNotSent
}

// refused handles err, the pending error of a send of size bytes to dest
// that began when lastLocal was start, and returns the *TooLongError to
// report if the datagram itself was refused, or nil to try again. again
// says that the attempt before failed with "message too long" too. The
// entries of the error queue are appended to queued, for the handler.
func (s *Socket) refused(err error, size int, dest netip.AddrPort, start uint64, again bool, queued *[]platform.QueuedError) *TooLongError {
	if !s.errQueue {
		s.noQueue(err)
		// Without an error queue, a router's "fragmentation needed" about
		// an earlier datagram leaves "message too long" pending on a
		// connected socket, which one attempt returns; a local refusal
		// fails every attempt.
		if !platform.IsMessageTooLong(err) || !again {
			return nil
		}
		mtu := s.routeLimit(dest, size)
		s.stats.localRefused.Add(1)
		s.h.LocalLimit(dest, mtu)
		return &TooLongError{MTU: mtu, Err: err}
	}
	s.collect(queued)
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
	_ = s.c.DrainErrors(func(q platform.QueuedError) {
		s.noteLocal(q)
		s.hand(q)
	})
}

// collect reads the error queue, appending its entries to queued for the
// handler; it notes the local refusals at once.
func (s *Socket) collect(queued *[]platform.QueuedError) {
	// An error here means the socket is closed, which the next write
	// reports.
	_ = s.c.DrainErrors(func(q platform.QueuedError) {
		s.noteLocal(q)
		*queued = append(*queued, q)
	})
}

// handAll hands the entries that a Send read from the error queue to the
// handler, each local refusal once however many attempts it refused.
func (s *Socket) handAll(queued []platform.QueuedError) {
	var refusals []platform.QueuedError
	for _, q := range queued {
		if q.Origin == platform.OriginLocal {
			if slices.ContainsFunc(refusals, func(r platform.QueuedError) bool {
				return r.Errno == q.Errno && r.Info == q.Info && r.Dest == q.Dest
			}) {
				continue
			}
			refusals = append(refusals, q)
		}
		s.hand(q)
	}
}

// noteLocal records q, an entry of the error queue, in lastLocal if it is
// a local refusal as too long.
func (s *Socket) noteLocal(q platform.QueuedError) {
	if q.Origin != platform.OriginLocal || !platform.IsMessageTooLong(q.Errno) {
		return
	}
	mtu := uint32(min(q.Info, math.MaxInt32))
	for {
		old := s.lastLocal.Load()
		if s.lastLocal.CompareAndSwap(old, (old>>32+1)<<32|uint64(mtu)) {
			return
		}
	}
}

// hand hands q, an entry of the error queue that noteLocal has seen, to
// the handler.
func (s *Socket) hand(q platform.QueuedError) {
	if q.Origin == platform.OriginLocal {
		if !platform.IsMessageTooLong(q.Errno) {
			s.stats.unhandled.Add(1)
			return
		}
		s.stats.localRefused.Add(1)
		s.h.LocalLimit(unmapAP(q.Dest), int(min(q.Info, math.MaxInt32)))
		return
	}
	ev, ok := icmp.FromQueued(s.local, q)
	switch {
	case !ok:
		s.stats.unhandled.Add(1)
		return
	case s.src != ICMPErrQueue:
		s.stats.ignored.Add(1)
		return
	}
	s.stats.icmp.Add(1)
	s.h.ICMP(ev)
}

// noQueue handles the pending error err of a Conn without an error queue:
// on a connected socket, a port unreachable is about the peer, which the
// handler hears with ICMPAuto.
func (s *Socket) noQueue(err error) {
	if !s.pendingEvents || !s.peer.IsValid() || !isPortUnreachable(err) {
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
