package memnet

import (
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
)

// An icmpError is an ICMP error message on its way to the sender of the
// datagram it is about.
type icmpError struct {
	pkt       packet // the datagram it is about
	kind      icmp.Kind
	typ, code uint8
	errno     syscall.Errno
	mtu       int
	reporter  netip.Addr
	quote     []byte
}

// tooBig returns the bottleneck's error about pkt: a "fragmentation
// needed" (RFC 792, RFC 1191 section 4) or a "Packet Too Big" (RFC 4443
// section 3.2).
func tooBig(pkt packet, cfg PathConfig) icmpError {
	e := icmpError{pkt: pkt, kind: icmp.KindFragNeeded, typ: 3, code: 4, errno: EMsgSize, mtu: cfg.MTU, reporter: cfg.Reporter}
	if pkt.dst.Addr().Is6() {
		e.kind, e.typ, e.code = icmp.KindPacketTooBig, 2, 0
	}
	if !e.reporter.IsValid() {
		e.reporter = pkt.dst.Addr()
	}
	e.quote = quote(pkt, cfg.QuoteLen)
	return e
}

// portUnreachable returns the destination host's error about pkt: an
// ICMPv4 port unreachable (type 3, code 3) or an ICMPv6 one (type 1, code
// 4, RFC 4443 section 3.1).
func portUnreachable(pkt packet, cfg PathConfig) icmpError {
	e := icmpError{pkt: pkt, kind: icmp.KindPortUnreachable, typ: 3, code: 3, errno: EConnRefused, reporter: pkt.dst.Addr()}
	if pkt.dst.Addr().Is6() {
		e.typ, e.code = 1, 4
	}
	e.quote = quote(pkt, cfg.QuoteLen)
	return e
}

// quote returns the start of pkt's payload that an ICMP error quotes,
// n bytes as PathConfig.QuoteLen gives them.
func quote(pkt packet, n int) []byte {
	switch {
	case n < 0:
		n = 0
	case n == 0 && pkt.dst.Addr().Is4():
		n = DefaultQuoteLen4
	case n == 0:
		n = DefaultQuoteLen6
	}
	return slices.Clone(pkt.payload[:min(n, len(pkt.payload))])
}

// sendICMPLocked delivers e to the sender of the datagram after delay: at
// once if it is zero.
func (n *Network) sendICMPLocked(e icmpError, delay time.Duration) {
	if delay == 0 {
		n.icmpArriveLocked(e)
		return
	}
	n.scheduleLocked(delay, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if !n.closed {
			n.icmpArriveLocked(e)
		}
	})
}

// icmpArriveLocked hands e to the socket that sent the datagram it quotes,
// found as the kernel finds it, from the quoted addresses and ports.
func (n *Network) icmpArriveLocked(e icmpError) {
	h := n.byAddr[e.pkt.src.Addr()]
	if h == nil {
		return
	}
	if c := h.lookupLocked(e.pkt.src, e.pkt.dst); c != nil {
		c.icmpLocked(e)
	}
}

// icmpLocked takes in an ICMP error about a datagram the socket sent: an
// error-queue entry and the pending error, as Linux with IP_RECVERR does
// even on an unconnected socket; without an error queue, the pending
// error of a connected socket only. Raw ICMP listeners hear it too.
func (c *Conn) icmpLocked(e icmpError) {
	switch {
	case !c.noErrQ:
		origin := platform.OriginICMP
		if e.pkt.dst.Addr().Is6() {
			origin = platform.OriginICMP6
		}
		c.queueErrLocked(platform.QueuedError{
			Errno: e.errno, Origin: origin, Type: e.typ, Code: e.code, Info: uint32(e.mtu),
			Offender: e.reporter, Dest: e.pkt.dst, Payload: e.quote,
		})
		c.setPendingLocked(e.errno)
	case c.peer.IsValid():
		c.setPendingLocked(e.errno)
	}
	if len(c.raws) == 0 {
		return
	}
	ev := icmp.Event{
		Local: e.pkt.src, Remote: e.pkt.dst, MTU: e.mtu, Reporter: e.reporter,
		Kind: e.kind, Type: e.typ, Code: e.code, IPv6: e.pkt.dst.Addr().Is6(),
		Quote: e.quote, QuotedLen: len(e.pkt.payload),
	}
	raws := slices.Clone(c.raws)
	c.stats.RawICMPDelivered += uint64(len(raws))
	// A raw listener reads on its own goroutine: never from inside the
	// call that sent the datagram.
	c.net.scheduleLocked(0, func() {
		for _, l := range raws {
			l.deliver(ev)
		}
	})
}

// A rawListener is a raw ICMP listener of a Conn.
type rawListener struct {
	c  *Conn
	fn func(icmp.Event)

	mu     sync.Mutex // held while fn runs
	closed bool
}

// ListenICMP implements sock.ICMPListener: fn hears the ICMP errors about
// the datagrams the socket sent, from the network's timer. It fails with
// EPERM unless the host has HostConfig.RawICMP.
func (c *Conn) ListenICMP(fn func(icmp.Event)) (io.Closer, error) {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	switch {
	case c.closed:
		return nil, c.opError("listen", netip.AddrPort{}, net.ErrClosed)
	case !c.rawAllow:
		return nil, opError("listen", "socket", netip.AddrPort{}, netip.AddrPort{}, syscall.EPERM)
	}
	l := &rawListener{c: c, fn: fn}
	c.raws = append(c.raws, l)
	return l, nil
}

// deliver calls fn with ev unless the listener is closed.
func (l *rawListener) deliver(ev icmp.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.fn(ev)
	}
}

// Close stops the deliveries, waiting for one in progress.
func (l *rawListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	n := l.c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	l.c.raws = slices.DeleteFunc(l.c.raws, func(o *rawListener) bool { return o == l })
	return nil
}
