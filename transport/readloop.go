package transport

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
)

// readLoop is the listener's only goroutine: it reads every datagram that
// arrives on the socket and hands it to its association, or to the cookie
// gate when it comes from an unknown address. It returns when the socket is
// closed.
func (l *Listener) readLoop() {
	defer close(l.readDone)
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if l.isClosing() {
				return
			}
			// An ICMP error about a datagram sent to some peer shows as
			// the socket's pending error: its details, with the peer, are
			// on the error queue. Anything else is transient too (such as
			// ENOBUFS); keep serving.
			if platform.IsTransientReadError(err) {
				l.drain()
			}
			continue
		}
		l.dispatch(buf[:n], normalize(from))
	}
}

func (l *Listener) isClosing() bool { return isClosed(l.closing) }

// route hands an error-queue entry to the association of the peer it is
// about, which validates it and, if it lowers the path MTU, wakes its
// engine.
func (l *Listener) route(q platform.QueuedError) {
	l.mu.Lock()
	a := l.assocs[normalize(q.Dest)]
	l.mu.Unlock()
	if a == nil {
		l.stats.unrouted.Add(1)
		return
	}
	a.path.queued(q, l.local)
}

// normalize turns an IPv4-mapped IPv6 address, as a dual-stack socket
// reports an IPv4 peer, into the IPv4 address, so that each peer has one
// key in the table and one spelling in RemoteAddr and in its cookie.
func normalize(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// dispatch delivers a datagram to the association of its sender, or runs the
// stateless cookie exchange for a sender that has none (RFC 6347 §4.2.1).
func (l *Listener) dispatch(d []byte, from netip.AddrPort) {
	l.mu.Lock()
	a := l.assocs[from]
	l.mu.Unlock()
	if a != nil {
		if !a.deliver(d) {
			l.stats.queueFull.Add(1)
		}
		return
	}
	reply, accept := l.config.VerifyClientHello(d, net.UDPAddrFromAddrPort(from))
	if reply != nil {
		l.stats.hellosVerify.Add(1)
		// Best effort: a lost HelloVerifyRequest is covered by the
		// client's retransmission timer.
		_, _ = l.conn.WriteToUDPAddrPort(reply, from)
		if l.config.Trace != nil {
			l.config.Trace(fmt.Sprintf("sent HelloVerifyRequest (%d bytes) to %s", len(reply), from))
		}
	}
	if !accept {
		if reply == nil {
			l.stats.ignored.Add(1)
		}
		return
	}
	l.newAssociation(d, from)
}

// newAssociation creates the association for a verified ClientHello and
// queues it for Accept, unless the backlog is full. The reader goroutine is
// the only sender on l.backlog, so the room it sees cannot vanish before it
// sends.
func (l *Listener) newAssociation(hello []byte, from netip.AddrPort) {
	if len(l.backlog) == cap(l.backlog) {
		l.stats.backlogFull.Add(1)
		return
	}
	cfg := l.timers
	cfg.est = initialMTU(from.Addr(), l.maxMTU, l.bound)
	cfg.fixed = fixedMTU(l.mtu, l.config, from.Addr())
	cfg.trace = l.config.Trace
	cfg.errQueue = l.caps.RecvErr
	a := newAssocConn(l, from, newPath(from, cfg))
	a.deliver(hello)
	a.dtls = dtls.Server(a, l.config)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.assocs[from] = a
	l.mu.Unlock()
	l.stats.created.Add(1)
	l.backlog <- &Conn{Conn: a.dtls, path: a.path, caps: l.caps, noProbe: l.noProbe}
}
