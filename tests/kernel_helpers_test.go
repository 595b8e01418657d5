//go:build linux

package tests

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// kernelWait bounds every wait of the kernel tests for something the kernel
// does at once. It is reached only when something is broken.
const kernelWait = 10 * time.Second

// recordHeaderLen is the length of a DTLS record header (RFC 6347, Section
// 4.1): what a Matcher needs to see.
const recordHeaderLen = 13

// kernelSocket is a UDP socket of the kernel tests, opened in a namespace
// through platform with the error queue on, whose read loop does what a
// transport's must: a transient read error, the pending error an ICMP error
// raises, drains the error queue, and every entry is validated.
type kernelSocket struct {
	c         *net.UDPConn
	raw       syscall.RawConn
	local     netip.AddrPort
	remote    netip.AddrPort // where send sends
	connected bool
	validator icmp.Validator
	datagrams chan []byte   // what the read loop read
	done      chan struct{} // closed when the read loop returns

	mu        sync.Mutex
	seq       uint64   // the sequence number of the next record
	sent      [][]byte // every datagram sent
	maxSent   int      // the largest of them
	events    []icmp.Event
	rejected  []error
	transient int   // transient read errors
	readErr   error // what stopped the read loop
	drainMu   sync.Mutex
}

// openKernelSocket opens a socket in ns on local (port 0) with the DF mode
// df and the error queue on, connected to remote if connected, and starts
// its read loop. The socket is closed when the test ends.
func openKernelSocket(t *testing.T, ns *netns.Namespace, network string, local netip.Addr, remote netip.AddrPort, connected bool, df platform.DFMode) *kernelSocket {
	t.Helper()
	s := &kernelSocket{
		remote:    remote,
		connected: connected,
		validator: icmp.Validator{MinQuote: recordHeaderLen},
		datagrams: make(chan []byte, 1000),
		done:      make(chan struct{}),
	}
	var caps platform.Capabilities
	control := platform.Control(platform.Options{DF: df, RecvErr: true}, &caps)
	laddr := netip.AddrPortFrom(local, 0)
	ns.Run(t, func() {
		var c net.Conn
		var err error
		if connected {
			d := net.Dialer{LocalAddr: net.UDPAddrFromAddrPort(laddr), Control: control}
			c, err = d.Dial(network, remote.String())
		} else {
			lc := net.ListenConfig{Control: control}
			var pc net.PacketConn
			pc, err = lc.ListenPacket(t.Context(), network, laddr.String())
			c, _ = pc.(net.Conn)
		}
		if err != nil {
			t.Fatal(err)
		}
		s.c = c.(*net.UDPConn)
	})
	if !caps.DF || caps.DFMode != df || !caps.RecvErr {
		s.c.Close()
		t.Fatalf("capabilities %+v; want DF %v and RecvErr", caps, df)
	}
	var err error
	if s.raw, err = s.c.SyscallConn(); err != nil {
		t.Fatal(err)
	}
	s.local = s.c.LocalAddr().(*net.UDPAddr).AddrPort()
	go s.readLoop()
	t.Cleanup(func() {
		s.c.Close()
		<-s.done
		if err := s.err(); err != nil {
			t.Errorf("read loop: %v", err)
		}
	})
	return s
}

// readLoop reads datagrams until the socket is closed, draining the error
// queue whenever a read fails with an ICMP error's pending error.
func (s *kernelSocket) readLoop() {
	defer close(s.done)
	b := make([]byte, 65536)
	for {
		n, _, err := s.c.ReadFromUDPAddrPort(b)
		switch {
		case err == nil:
			s.datagrams <- bytes.Clone(b[:n])
		case platform.IsTransientReadError(err):
			s.mu.Lock()
			s.transient++
			s.mu.Unlock()
			if err := s.drain(); err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.stop(err)
				}
				return
			}
		case errors.Is(err, net.ErrClosed):
			return
		default:
			s.stop(err)
			return
		}
	}
}

// stop records err as what stopped the read loop.
func (s *kernelSocket) stop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readErr = err
}

// err returns what stopped the read loop, if anything did.
func (s *kernelSocket) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readErr
}

// drain reads the error queue and validates each ICMP entry.
func (s *kernelSocket) drain() error {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	return platform.ReadErrQueue(s.raw, func(q platform.QueuedError) {
		ev, ok := icmp.FromQueued(s.local, q)
		if !ok {
			return
		}
		s.mu.Lock()
		size := s.maxSent
		s.mu.Unlock()
		ev, err := s.validator.Validate(ev, s.local, s.remote, size, s.match)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.rejected = append(s.rejected, err)
			return
		}
		s.events = append(s.events, ev)
	})
}

// match reports whether quote is the start of a datagram s sent.
func (s *kernelSocket) match(quote []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.sent {
		if bytes.HasPrefix(d, quote) {
			return true
		}
	}
	return false
}

// send sends a datagram of size bytes to s.remote: a DTLS 1.2 application
// data record of epoch 1 with the next sequence number. A send can fail
// with the pending error of an ICMP error that arrived meanwhile, which it
// consumes; send then drains the error queue and sends again.
func (s *kernelSocket) send(t *testing.T, size int) []byte {
	t.Helper()
	s.mu.Lock()
	d := dtlsRecord(1, s.seq, size)
	s.seq++
	s.sent = append(s.sent, d)
	s.maxSent = max(s.maxSent, size)
	s.mu.Unlock()
	for range 2 {
		var err error
		if s.connected {
			_, err = s.c.Write(d)
		} else {
			_, err = s.c.WriteToUDPAddrPort(d, s.remote)
		}
		if err == nil {
			return d
		}
		if !platform.IsMessageTooLong(err) {
			t.Fatalf("send: %v", err)
		}
		if err := s.drain(); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("send of %d bytes: message too long twice", size)
	return nil
}

// dtlsRecord returns a DTLS 1.2 application data record (RFC 6347, Section
// 4.1) of size bytes in all, with the given epoch and sequence number.
func dtlsRecord(epoch uint16, seq uint64, size int) []byte {
	var b cryptobyte.Builder
	b.AddUint8(23)
	b.AddUint16(0xfefd)
	b.AddUint16(epoch)
	b.AddUint48(seq)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for i := range size - recordHeaderLen {
			b.AddUint8(byte(i))
		}
	})
	return b.BytesOrPanic()
}

// counts returns the numbers of events accepted and rejected so far.
func (s *kernelSocket) counts() (accepted, rejected int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events), len(s.rejected)
}

// waitCounts waits until s has accepted and rejected the given numbers of
// events, draining the error queue meanwhile in case a send consumed the
// pending error that would have woken the read loop.
func (s *kernelSocket) waitCounts(t *testing.T, accepted, rejected int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d accepted and %d rejected events", accepted, rejected), func() bool {
		if err := s.drain(); err != nil {
			t.Fatal(err)
		}
		a, r := s.counts()
		if a > accepted || r > rejected {
			t.Fatalf("%d accepted and %d rejected events (%q); want %d and %d", a, r, s.rejected, accepted, rejected)
		}
		return a == accepted && r == rejected
	})
}

// lastVerdict returns the last event s accepted and the last reason it
// rejected one for.
func (s *kernelSocket) lastVerdict() (icmp.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return last(s.events, s.rejected)
}

// last returns the last elements of events and rejected, or zero values.
func last(events []icmp.Event, rejected []error) (ev icmp.Event, err error) {
	if len(events) > 0 {
		ev = events[len(events)-1]
	}
	if len(rejected) > 0 {
		err = rejected[len(rejected)-1]
	}
	return ev, err
}

// next waits for the next datagram s reads.
func (s *kernelSocket) next(t *testing.T) []byte {
	t.Helper()
	select {
	case d := <-s.datagrams:
		return d
	case <-time.After(kernelWait):
		t.Fatal("no datagram arrived")
		return nil
	}
}

// rawSource is a raw ICMP socket, opened in a namespace through
// icmp.ListenRaw, that watches a kernelSocket and validates what it
// delivers.
type rawSource struct {
	l         *icmp.RawListener
	validator icmp.Validator

	mu       sync.Mutex
	events   []icmp.Event
	rejected []error
}

// listenRawSource opens a rawSource for s in ns.
func listenRawSource(t *testing.T, ns *netns.Namespace, network string, s *kernelSocket) *rawSource {
	t.Helper()
	r := &rawSource{validator: icmp.Validator{MinQuote: recordHeaderLen}}
	rawNetwork := "ip4:icmp"
	if s.local.Addr().Is6() {
		rawNetwork = "ip6:ipv6-icmp"
	}
	deliver := func(ev icmp.Event) {
		s.mu.Lock()
		size := s.maxSent
		s.mu.Unlock()
		ev, err := r.validator.Validate(ev, s.local, s.remote, size, s.match)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.rejected = append(r.rejected, err)
			return
		}
		r.events = append(r.events, ev)
	}
	ns.Run(t, func() {
		var err error
		if r.l, err = icmp.ListenRaw(rawNetwork, deliver); err != nil {
			t.Fatal(err)
		}
	})
	r.l.Watch(s.local)
	t.Cleanup(func() {
		if err := r.l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("raw listener: %v", err)
		}
	})
	return r
}

// counts returns the numbers of events accepted and rejected so far.
func (r *rawSource) counts() (accepted, rejected int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events), len(r.rejected)
}

// waitCounts waits until r has accepted and rejected the given numbers of
// events.
func (r *rawSource) waitCounts(t *testing.T, accepted, rejected int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d accepted and %d rejected raw events", accepted, rejected), func() bool {
		a, n := r.counts()
		if a > accepted || n > rejected {
			t.Fatalf("%d accepted and %d rejected raw events; want %d and %d", a, n, accepted, rejected)
		}
		return a == accepted && n == rejected
	})
}

// lastVerdict returns the last event r accepted and the last reason it
// rejected one for.
func (r *rawSource) lastVerdict() (icmp.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return last(r.events, r.rejected)
}

// waitRead waits until the raw socket has read n ICMP error messages in
// all. The raw socket gets its copy of a message before the kernel hands
// the message to UDP, so the error queue has its entry, if any, by then.
func (r *rawSource) waitRead(t *testing.T, n uint64) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("the raw socket to read %d ICMP messages", n), func() bool {
		return r.l.Stats().Read >= n
	})
}

// kernelPeer is a plain UDP socket in a namespace that records what it
// receives.
type kernelPeer struct {
	c         *net.UDPConn
	addr      netip.AddrPort
	datagrams chan []byte
}

// openKernelPeer opens a kernelPeer in ns on addr (port 0).
func openKernelPeer(t *testing.T, ns *netns.Namespace, network string, addr netip.Addr) *kernelPeer {
	t.Helper()
	p := &kernelPeer{datagrams: make(chan []byte, 1000)}
	ns.Run(t, func() {
		var err error
		if p.c, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0))); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { p.c.Close() })
	p.addr = p.c.LocalAddr().(*net.UDPAddr).AddrPort()
	go func() {
		b := make([]byte, 65536)
		for {
			n, err := p.c.Read(b)
			if err != nil {
				return
			}
			p.datagrams <- bytes.Clone(b[:n])
		}
	}()
	return p
}

// next waits for the next datagram p receives and returns its length.
func (p *kernelPeer) next(t *testing.T) int {
	t.Helper()
	select {
	case d := <-p.datagrams:
		return len(d)
	case <-time.After(kernelWait):
		t.Fatal("no datagram arrived")
		return 0
	}
}

// forger sends forged ICMP errors from a raw socket in a namespace.
type forger struct {
	c *xicmp.PacketConn
}

// openForger opens a raw ICMP socket in ns for network's family.
func openForger(t *testing.T, ns *netns.Namespace, network string) *forger {
	t.Helper()
	rawNetwork := "ip4:icmp"
	if ns.West.Addr(network).Is6() {
		rawNetwork = "ip6:ipv6-icmp"
	}
	f := &forger{}
	ns.Run(t, func() {
		var err error
		if f.c, err = xicmp.ListenPacket(rawNetwork, ns.West.Addr(network).String()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { f.c.Close() })
	return f
}

// tooBig returns an ICMPv4 "fragmentation needed" (RFC 1191, Section 4) or
// ICMPv6 "Packet Too Big" (RFC 4443, Section 3.2) message reporting mtu,
// about a UDP datagram from src to dst with the given payload, quoting as
// much of it as a Linux router would. The ICMPv6 checksum is left to the
// kernel, which computes it for raw ICMPv6 sockets (RFC 3542, Section 3.1).
func tooBig(t *testing.T, src, dst netip.AddrPort, mtu int, payload []byte) []byte {
	t.Helper()
	var b cryptobyte.Builder
	if src.Addr().Is4() {
		b.AddBytes(ipv4Header(src.Addr(), dst.Addr(), 20+8+len(payload)))
	} else {
		b.AddBytes(ipv6Header(src.Addr(), dst.Addr(), 8+len(payload)))
	}
	b.AddUint16(src.Port())
	b.AddUint16(dst.Port())
	b.AddUint16(uint16(8 + len(payload)))
	b.AddUint16(0) // no checksum: a quote's is not checked
	b.AddBytes(payload)
	quote := b.BytesOrPanic()
	var m xicmp.Message
	if src.Addr().Is4() {
		// RFC 1812, Section 4.3.2.3: at most 576 bytes of IP packet.
		quote = quote[:min(len(quote), 576-20-8)]
		body := append([]byte{0, 0, byte(mtu >> 8), byte(mtu)}, quote...)
		m = xicmp.Message{Type: ipv4.ICMPTypeDestinationUnreachable, Code: 4, Body: &xicmp.RawBody{Data: body}}
	} else {
		// RFC 4443, Section 2.4 (c): at most the minimum IPv6 MTU.
		quote = quote[:min(len(quote), 1280-40-8)]
		m = xicmp.Message{Type: ipv6.ICMPTypePacketTooBig, Body: &xicmp.PacketTooBig{MTU: mtu, Data: quote}}
	}
	msg, err := m.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// ipv4Header returns an IPv4 header (RFC 791, Section 3.1) for a UDP packet
// of totalLen bytes with DF set.
func ipv4Header(src, dst netip.Addr, totalLen int) []byte {
	var b cryptobyte.Builder
	b.AddUint8(0x45) // version 4, 5 words
	b.AddUint8(0)
	b.AddUint16(uint16(totalLen))
	b.AddUint16(0x1234) // identification
	b.AddUint16(0x4000) // DF, offset 0
	b.AddUint8(64)
	b.AddUint8(17) // UDP
	b.AddUint16(0) // checksum, filled in below
	b.AddBytes(src.AsSlice())
	b.AddBytes(dst.AsSlice())
	h := b.BytesOrPanic()
	sum := checksum(h)
	h[10], h[11] = byte(sum>>8), byte(sum)
	return h
}

// ipv6Header returns an IPv6 header (RFC 8200, Section 3) for a UDP
// payload of payloadLen bytes.
func ipv6Header(src, dst netip.Addr, payloadLen int) []byte {
	var b cryptobyte.Builder
	b.AddUint32(6 << 28) // version 6, no traffic class or flow label
	b.AddUint16(uint16(payloadLen))
	b.AddUint8(17) // UDP
	b.AddUint8(64)
	b.AddBytes(src.AsSlice())
	b.AddBytes(dst.AsSlice())
	return b.BytesOrPanic()
}

// checksum returns the Internet checksum of b (RFC 1071), b of even length.
func checksum(b []byte) uint16 {
	var sum uint32
	s := cryptobyte.String(b)
	var w uint16
	for s.ReadUint16(&w) {
		sum += uint32(w)
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// send sends msg to dst.
func (f *forger) send(t *testing.T, msg []byte, dst netip.Addr) {
	t.Helper()
	if _, err := f.c.WriteTo(msg, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		t.Fatal(err)
	}
}

// waitUntil polls cond until it holds, and fails t if it does not within
// kernelWait.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(kernelWait); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", kernelWait, what)
		}
	}
}
