package icmp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// rawReadSize holds any ICMP error message: an ICMPv6 one fits in the IPv6
// minimum MTU of 1280 bytes, an ICMPv4 one in 576 bytes by RFC 1812, but a
// raw socket may also see other large ICMP messages.
const rawReadSize = 1 << 16

// RawListener reads ICMP error messages from a raw ICMP socket and delivers
// as Events those whose quoted UDP source is one of the local addresses it
// watches ([RawListener.Watch]). It does not validate them: see [Validator].
type RawListener struct {
	conn  *icmp.PacketConn
	proto int
	fn    func(Event)
	done  chan struct{}

	mu     sync.Mutex
	locals map[netip.AddrPort]int // watched addresses and their watch counts
	err    error                  // why the read loop stopped, other than Close

	read, malformed, notOurs, delivered atomic.Uint64
}

// RawStats counts the messages a RawListener has read.
type RawStats struct {
	Read      uint64 // ICMP messages read
	Malformed uint64 // ICMP messages that ParseICMP rejected, including those that are not errors
	NotOurs   uint64 // ICMP errors whose quoted UDP source is not watched
	Delivered uint64 // Events passed to the callback
}

// ListenRaw opens a raw ICMP socket through golang.org/x/net/icmp, network
// "ip4:icmp" (or "ip4:1") for ICMPv4 or "ip6:ipv6-icmp" (or "ip6:58") for
// ICMPv6, which needs privilege (CAP_NET_RAW on Linux), and starts a
// goroutine that calls fn with each Event about a watched address, one at a
// time, until Close. Where the operating system can, the socket is set to
// receive ICMP error types only.
func ListenRaw(network string, fn func(Event)) (*RawListener, error) {
	proto, addr := ProtocolICMP, "0.0.0.0"
	switch {
	case network == "ip4:icmp" || network == "ip4:1":
	case network == "ip6:ipv6-icmp" || network == "ip6:58":
		proto, addr = ProtocolICMPv6, "::"
	default:
		return nil, fmt.Errorf("dtls: icmp: unknown raw ICMP network %q", network)
	}
	c, err := icmp.ListenPacket(network, addr)
	if err != nil {
		return nil, fmt.Errorf("dtls: icmp: %w", err)
	}
	setErrorFilter(c, proto)
	l := &RawListener{conn: c, proto: proto, fn: fn, done: make(chan struct{}), locals: make(map[netip.AddrPort]int)}
	go l.run()
	return l, nil
}

// setErrorFilter asks the kernel to pass only ICMP error messages to c.
// Best effort: the filter only saves work, since ParseICMP skips the other
// types anyway, and ICMP_FILTER is Linux-only for IPv4.
func setErrorFilter(c *icmp.PacketConn, proto int) {
	if proto == ProtocolICMP {
		var f ipv4.ICMPFilter
		f.SetAll(true)
		for _, t := range []ipv4.ICMPType{ipv4.ICMPTypeDestinationUnreachable, ipv4.ICMPTypeTimeExceeded, ipv4.ICMPTypeParameterProblem} {
			f.Accept(t)
		}
		_ = c.IPv4PacketConn().SetICMPFilter(&f)
		return
	}
	var f ipv6.ICMPFilter
	f.SetAll(true)
	for _, t := range []ipv6.ICMPType{ipv6.ICMPTypeDestinationUnreachable, ipv6.ICMPTypePacketTooBig, ipv6.ICMPTypeTimeExceeded, ipv6.ICMPTypeParameterProblem} {
		f.Accept(t)
	}
	_ = c.IPv6PacketConn().SetICMPFilter(&f)
}

// Watch adds local, the address of a UDP socket, to the addresses whose
// ICMP errors are delivered. An unspecified address watches the port on
// every address. Watching an address twice needs two Unwatch calls.
func (l *RawListener) Watch(local netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.locals[normalize(local)]++
}

// Unwatch undoes one Watch of local.
func (l *RawListener) Unwatch(local netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := normalize(local)
	if l.locals[k]--; l.locals[k] <= 0 {
		delete(l.locals, k)
	}
}

// Stats returns the counts so far.
func (l *RawListener) Stats() RawStats {
	return RawStats{Read: l.read.Load(), Malformed: l.malformed.Load(), NotOurs: l.notOurs.Load(), Delivered: l.delivered.Load()}
}

// Close closes the socket and waits for the goroutine, and with it any call
// of the callback, to finish; the callback must therefore not call Close.
// It returns the error that stopped reading earlier, if any.
func (l *RawListener) Close() error {
	err := l.conn.Close()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("dtls: icmp: %w", err)
	}
	return nil
}

// run reads and delivers until the socket fails or is closed.
func (l *RawListener) run() {
	defer close(l.done)
	buf := make([]byte, rawReadSize)
	for {
		n, peer, err := l.conn.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.mu.Lock()
				l.err = fmt.Errorf("dtls: icmp: reading raw ICMP: %w", err)
				l.mu.Unlock()
			}
			return
		}
		l.read.Add(1)
		l.handle(buf[:n], peer)
	}
}

// handle parses one message and delivers it if it is about a watched
// address.
func (l *RawListener) handle(msg []byte, peer net.Addr) {
	var reporter netip.Addr
	if ip, ok := peer.(*net.IPAddr); ok {
		reporter, _ = netip.AddrFromSlice(ip.IP)
		reporter = reporter.Unmap().WithZone(ip.Zone)
	}
	ev, err := ParseICMP(l.proto, msg, reporter)
	if err != nil {
		l.malformed.Add(1)
		return
	}
	if !l.watched(ev.Local) {
		l.notOurs.Add(1)
		return
	}
	l.delivered.Add(1)
	l.fn(ev)
}

// watched reports whether the quoted source a is watched.
func (l *RawListener) watched(a netip.AddrPort) bool {
	a = normalize(a)
	wildcard := netip.IPv4Unspecified()
	if a.Addr().Is6() {
		wildcard = netip.IPv6Unspecified()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.locals[a] > 0 || l.locals[netip.AddrPortFrom(wildcard, a.Port())] > 0 ||
		l.locals[netip.AddrPortFrom(netip.IPv6Unspecified(), a.Port())] > 0
}

// normalize strips zones and IPv4 mapping, so that addresses compare as
// ICMP quotes give them.
func normalize(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap().WithZone(""), a.Port())
}
