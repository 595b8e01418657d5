package transport

import (
	"container/list"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/eventlog"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/pmtu"
)

// A serverAssoc is an association of a Listener.
type serverAssoc struct {
	*assoc
	shard    *shard
	random   [32]byte      // its ClientHello's, to tell a new ClientHello (RFC 6347 §4.2.8)
	halfOpen *list.Element // in assocTable.halfOpen while the handshake runs
	cid      string        // the connection ID it is filed under, if any
}

// serverParts are a server association and its assoc, which live and die
// together, allocated as one.
type serverParts struct {
	sa serverAssoc
	a  assoc
}

// ListenerStats are the counters of a Listener.
type ListenerStats struct {
	Created         uint64 // associations created for a ClientHello with a valid cookie
	Accepted        uint64 // associations whose handshake completed
	Failed          uint64 // associations whose handshake failed
	HelloVerify     uint64 // HelloVerifyRequests sent
	Ignored         uint64 // datagrams from unknown peers that were no ClientHello
	BacklogFull     uint64 // verified ClientHellos dropped: the Accept backlog was full
	Evicted         uint64 // half-open associations closed to make room for new ones
	Restarted       uint64 // associations replaced by a new handshake from the same address (RFC 6347 §4.2.8)
	Moved           uint64 // associations that followed their peer to a new address (RFC 9146 §6)
	Unrouted        uint64 // ICMP errors about no association
	HelloFragments  uint64 // fragments of ClientHellos reassembled before their cookie was checked
	HelloEvicted    uint64 // partial ClientHellos dropped to make room
	PendingRetried  uint64 // sends tried again after an error about an earlier datagram
	NotSent         uint64 // sends that failed: every attempt met such an error
	Associations    int    // associations alive now
	HalfOpen        int    // of those, with a handshake in progress
	WaitingToAccept int    // of those, waiting for Accept
}

type listenerStats struct {
	created, accepted, failed, helloVerify, ignored         atomic.Uint64
	backlogFull, evicted, restarted, unrouted, readFailures atomic.Uint64
	moved                                                   atomic.Uint64
}

// Stats returns the listener's counters.
func (l *Listener) Stats() ListenerStats {
	s := &l.stats
	st := ListenerStats{
		Created: s.created.Load(), Accepted: s.accepted.Load(), Failed: s.failed.Load(),
		HelloVerify: s.helloVerify.Load(), Ignored: s.ignored.Load(),
		BacklogFull: s.backlogFull.Load(), Evicted: s.evicted.Load(),
		Restarted: s.restarted.Load(), Unrouted: s.unrouted.Load(), Moved: s.moved.Load(),
		WaitingToAccept: len(l.ready),
	}
	for _, sh := range l.shards {
		g, ss := sh.gate.Stats(), sh.sock.Stats()
		st.HelloFragments += g.Fragments
		st.HelloEvicted += g.Evicted
		st.PendingRetried += ss.PendingRetried
		st.NotSent += ss.NotSent
		sh.mu.Lock()
		st.Associations += len(sh.table.byAddr)
		st.HalfOpen += sh.table.halfOpen.Len()
		sh.mu.Unlock()
	}
	return st
}

// read is the shard's goroutine: it reads every datagram that arrives on
// its socket and hands it to its association's engine, which processes it
// before the next is read, or to the cookie gate when it comes from an
// unknown address. It returns when the socket is closed.
func (s *shard) read() {
	defer close(s.readDone)
	ms := readMessages(listenerReadBatch)
	for {
		n, err := s.sock.ReadBatch(ms)
		if err != nil {
			if isClosed(s.l.closing) || errors.Is(err, net.ErrClosed) {
				return
			}
			s.l.stats.readFailures.Add(1) // such as ENOBUFS: keep serving
			continue
		}
		for i := range ms[:n] {
			s.dispatch(ms[i].Buf[:ms[i].N], normalize(ms[i].Addr))
		}
	}
}

// listenerReadBatch is the number of datagrams a listener's reader takes
// from its socket at once (recvmmsg on Linux), each in a buffer that holds
// the largest datagram: 2 MiB a reader.
const listenerReadBatch = 32

// readMessages returns n messages with room for a datagram of any size
// each, in one allocation.
func readMessages(n int) []sock.Message {
	ms := make([]sock.Message, n)
	buf := make([]byte, n*maxDatagram)
	for i := range ms {
		ms[i].Buf = buf[i*maxDatagram : (i+1)*maxDatagram : (i+1)*maxDatagram]
	}
	return ms
}

// dispatch hands a datagram to the association of its sender, or to the
// gate. A new ClientHello with a valid cookie from the address of a live
// association starts a new association, which replaces the old (RFC 6347
// §4.2.8): the client has proved it receives at that address.
func (s *shard) dispatch(d []byte, from netip.AddrPort) {
	if sa := s.l.byConnectionID(d); sa != nil {
		s.deliverByConnectionID(sa, d, from)
		return
	}
	s.mu.Lock()
	a := s.table.lookup(from)
	s.mu.Unlock()
	if a == nil {
		s.admit(d, from, nil)
		return
	}
	if dtls.IsClientHello(d) {
		v := s.gate.Check(d, from)
		if v.Reply != nil || (v.Accept && v.Random != a.random) {
			s.answer(v, from, a)
			return
		}
	}
	s.room.wait(a.assoc, s.l.closing)
	a.conn.HandleDatagram(d)
}

// admit runs the stateless cookie exchange for a datagram from a sender
// without an association (RFC 6347 §4.2.1).
func (s *shard) admit(d []byte, from netip.AddrPort, old *serverAssoc) {
	v := s.gate.Check(d, from)
	if v.Reply == nil && !v.Accept {
		if dtls.IsClientHello(d) {
			if log := s.l.events(); log.Enabled(slog.LevelDebug) {
				log.Event(slog.LevelDebug, "ClientHello fragment held", "holding a fragment of a ClientHello from %s (%d bytes)",
					slog.Any("peer", from), slog.Int("size", len(d)))
			}
		} else {
			s.l.stats.ignored.Add(1)
		}
		return
	}
	s.answer(v, from, old)
}

// answer acts on the gate's verdict on a ClientHello from from, which may
// replace the association old.
func (s *shard) answer(v dtls.Verdict, from netip.AddrPort, old *serverAssoc) {
	l := s.l
	if v.Reply != nil {
		l.stats.helloVerify.Add(1)
		// Best effort: a lost HelloVerifyRequest is covered by the
		// client's retransmission timer.
		_ = s.sock.Send(v.Reply, from)
		switch log := l.events(); {
		case !log.Enabled(slog.LevelDebug):
		case v.Retry:
			log.Event(slog.LevelDebug, "HelloRetryRequest sent", "sent HelloRetryRequest with a cookie (%d bytes) to %s",
				slog.Int("size", len(v.Reply)), slog.Any("peer", from))
		default:
			log.Event(slog.LevelDebug, "HelloVerifyRequest sent", "sent HelloVerifyRequest (%d bytes) to %s",
				slog.Int("size", len(v.Reply)), slog.Any("peer", from))
		}
	}
	if !v.Accept {
		return
	}
	if old != nil {
		l.stats.restarted.Add(1)
		if log := l.events(); log.Enabled(slog.LevelInfo) {
			log.Event(slog.LevelInfo, "association replaced", "new ClientHello from %s: its association is replaced",
				slog.Any("peer", from))
		}
		_ = old.conn.Close()
	}
	s.newAssociation(v, from)
}

// newAssociation creates the association for a verified ClientHello and
// gives it the ClientHello, unless the Accept backlog is full. Beyond
// MaxHalfOpen associations in handshake, the oldest is evicted.
func (s *shard) newAssociation(v dtls.Verdict, from netip.AddrPort) {
	l := s.l
	if len(l.ready) >= l.opts.Backlog {
		l.stats.backlogFull.Add(1)
		return
	}
	a := s.makeAssociation(from, v.Random)
	s.mu.Lock()
	if s.shut {
		s.mu.Unlock()
		return
	}
	victim := s.table.add(a)
	s.mu.Unlock()
	if victim != nil {
		l.stats.evicted.Add(1)
		_ = victim.conn.Close()
	}
	l.stats.created.Add(1)
	a.conn.AcceptHello(v)
}

// makeAssociation builds the association of a new peer.
func (s *shard) makeAssociation(from netip.AddrPort, random [32]byte) *serverAssoc {
	l := s.l
	f := pmtu.FamilyOf(from.Addr())
	route, _ := s.sock.Conn().RouteMTU(from.Addr()) // 0 if unknown
	p := newPath(pathConfig{
		local:          l.local,
		remote:         from,
		route:          pmtu.MTU(route),
		maxMTU:         pmtu.MTU(l.opts.MaxMTU),
		fixed:          fixedMTU(l.opts.MTU, l.config, f, l.caps),
		log:            l.events(),
		cache:          l.cache,
		probeTimeout:   l.opts.ProbeTimeout,
		confirmTimeout: l.opts.ConfirmTimeout,
		raiseTimeout:   l.opts.RaiseTimeout,
	})
	parts := new(serverParts) // one allocation for both
	a := &parts.sa
	a.random, a.shard = random, s
	a.assoc = &parts.a
	*a.assoc = assoc{
		sock:        s.sock,
		local:       l.local,
		path:        p,
		owner:       s,
		idleTimeout: max(l.opts.IdleTimeout, 0),
		ready:       make(chan struct{}),
	}
	a.conn = dtls.ServerOn(a.assoc, l.config)
	p.shrink = a.conn
	return a
}

// handshakeDone hears the end of an association's handshake: a completed
// one starts its idle timer and its probing and waits for Accept; a failed
// one ends.
func (s *shard) handshakeDone(a *assoc, err error) {
	l := s.l
	s.mu.Lock()
	s.table.established(a)
	s.mu.Unlock()
	if err != nil {
		l.stats.failed.Add(1)
		if log := l.events(); log.Enabled(slog.LevelInfo) {
			log.Event(slog.LevelInfo, "handshake failed", "handshake with %s failed: %v",
				slog.Any("peer", a.peer()), slog.Any("err", err))
		}
		if f := l.opts.HandshakeFailed; f != nil && !isClosed(l.closing) {
			f(a.RemoteAddr(), err)
		}
		_ = a.conn.Close()
		return
	}
	l.stats.accepted.Add(1)
	s.registerConnectionID(a)
	a.startIdleTimer()
	if !l.opts.DisableProbing {
		a.path.startProbing(a.conn, l.pacer, firstProbeSpread)
	}
	select {
	case l.ready <- &Conn{a: a, dc: a.conn, caps: l.caps}:
	default: // cannot happen: see serve
		l.stats.backlogFull.Add(1)
		_ = a.conn.Close()
	}
}

// closed forgets an association that ended.
func (s *shard) closed(a *assoc) {
	s.mu.Lock()
	sa := s.table.forget(a)
	s.mu.Unlock()
	if sa != nil {
		s.l.cids.remove(sa)
	}
}

// events returns where the listener's events go: its Config's Logger and
// Trace.
func (l *Listener) events() eventlog.Log { return configEvents(l.config) }

// configEvents returns where the events of config's associations go.
func configEvents(config *dtls.Config) eventlog.Log {
	return eventlog.Log{Logger: config.Logger, Trace: config.Trace}
}

// listenerHandler routes what a shard's socket hears to the association
// of the peer it is about, which sent from that socket.
type listenerHandler struct{ s *shard }

func (h listenerHandler) path(dest netip.AddrPort) *path {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if a := h.s.table.lookup(normalize(dest)); a != nil {
		return a.path
	}
	h.s.l.stats.unrouted.Add(1)
	return nil
}

func (h listenerHandler) ICMP(ev icmp.Event) {
	if p := h.path(ev.Remote); p != nil {
		p.icmp(ev)
	}
}

// LocalLimit does nothing: the send that was refused returns the limit,
// which WriteDatagram gives its path. (An entry read by another send's
// drain is found by the refused send all the same, and the kernel names
// an IPv4 destination with port 0 in it, which would not route.)
func (listenerHandler) LocalLimit(netip.AddrPort, int) {}

// isClosed reports whether c is closed, without blocking.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
