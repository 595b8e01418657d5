package sock

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/platform"
)

// These tests run real sockets on the loopback interface of the machine's
// own network namespace: the ICMP errors they cause are port unreachables,
// which change no path MTU.

// events is a Handler that passes events to a channel.
type events chan icmp.Event

func (e events) ICMP(ev icmp.Event) {
	select {
	case e <- ev:
	default:
	}
}

func (e events) LocalLimit(netip.AddrPort, int) {}

// next returns the next event, waiting for it.
func (e events) next(t *testing.T) icmp.Event {
	t.Helper()
	select {
	case ev := <-e:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no ICMP event")
	}
	return icmp.Event{}
}

// listenLoopback opens a real Conn on the loopback address of network.
func listenLoopback(t testing.TB, network string) Conn {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "udp6" {
		addr = "[::1]:0"
	}
	c, err := Listen(t.Context(), nil, network, addr, platform.DFProbe)
	if err != nil {
		testenv.SkipOrFail(t, "no %s loopback socket: %v", network, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedPort returns an address of network's loopback with no socket.
func closedPort(t *testing.T, c Conn) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.LocalAddr().Addr(), 0)))
	if err != nil {
		t.Fatal(err)
	}
	ap := addrOf(pc.LocalAddr())
	pc.Close()
	return ap
}

// waitPending waits until c has a pending error or an error-queue entry,
// as poll reports them (POLLERR), without reading anything.
func waitPending(t *testing.T, c Conn) {
	t.Helper()
	u := c.(*udpConn)
	var n int
	var err error
	cerr := u.raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd)}}
		for {
			n, err = unix.Poll(fds, 10_000)
			if err != unix.EINTR {
				return
			}
		}
	})
	if cerr != nil || err != nil || n != 1 {
		t.Fatalf("poll: %d, %v, %v", n, err, cerr)
	}
}

// TestDepartedClient is the stall a server met when a client departed: a
// datagram to its closed port brings a port unreachable, whose pending
// error fails the next send to another client, which was then lost.
func TestDepartedClient(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			c := listenLoopback(t, network)
			if !c.Capabilities().RecvErr {
				t.Fatal("no error queue on Linux")
			}
			h := make(events, 4)
			s := New(c, h)
			live := listenLoopback(t, network)
			departed := closedPort(t, c)
			if err := s.Send([]byte("goodbye"), departed); err != nil {
				t.Fatal(err)
			}
			waitPending(t, c)
			if err := s.Send([]byte("hello"), live.LocalAddr()); err != nil {
				t.Fatalf("Send to another client after the port unreachable: %v", err)
			}
			b := make([]byte, 10)
			n, from, err := live.ReadFrom(b)
			if err != nil || string(b[:n]) != "hello" || from != c.LocalAddr() {
				t.Fatalf("ReadFrom = %q from %v, %v", b[:n], from, err)
			}
			if ev := h.next(t); ev.Kind != icmp.KindPortUnreachable || ev.Remote != departed || string(ev.Quote) != "goodbye" {
				t.Fatalf("event %v", ev)
			}
			if st := s.Stats(); st.PendingRetried != 1 || st.Sent != 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestReadFromDrainsReal(t *testing.T) {
	c := listenLoopback(t, "udp4")
	h := make(events, 4)
	s := New(c, h)
	peer := listenLoopback(t, "udp4")
	if err := s.Send([]byte("x"), closedPort(t, c)); err != nil {
		t.Fatal(err)
	}
	waitPending(t, c)
	if err := peer.WriteTo([]byte("reply"), c.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	n, from, err := s.ReadFrom(b)
	if err != nil || string(b[:n]) != "reply" || from != peer.LocalAddr() {
		t.Fatalf("ReadFrom = %q from %v, %v", b[:n], from, err)
	}
	if ev := h.next(t); ev.Kind != icmp.KindPortUnreachable {
		t.Fatalf("event %v", ev)
	}
	if st := s.Stats(); st.PendingRead != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDualStackUnmapped(t *testing.T) {
	c, err := Listen(t.Context(), nil, "udp", "[::]:0", platform.DFProbe)
	if err != nil {
		testenv.SkipOrFail(t, "no dual-stack socket: %v", err)
	}
	defer c.Close()
	if caps := c.Capabilities(); !caps.DualStack {
		t.Fatalf("capabilities %+v", caps)
	}
	peer := listenLoopback(t, "udp4")
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), c.LocalAddr().Port())
	if err := peer.WriteTo([]byte("v4"), to); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	_, from, err := c.ReadFrom(b)
	if err != nil || from != peer.LocalAddr() {
		t.Fatalf("ReadFrom from %v, %v; want %v", from, err, peer.LocalAddr())
	}
	if err := c.WriteTo([]byte("back"), from); err != nil {
		t.Fatal(err)
	}
	if _, from, err := peer.ReadFrom(b); err != nil || from != to {
		t.Fatalf("reply from %v, %v", from, err)
	}
	// The port unreachable about an IPv4 peer names it unmapped.
	var mu sync.Mutex
	var dests []netip.AddrPort
	gone := closedPort(t, peer)
	if err := c.WriteTo([]byte("x"), gone); err != nil {
		t.Fatal(err)
	}
	waitPending(t, c)
	err = c.DrainErrors(func(q platform.QueuedError) {
		mu.Lock()
		defer mu.Unlock()
		dests = append(dests, q.Dest)
		if q.Offender.Is4In6() {
			t.Errorf("offender %v is mapped", q.Offender)
		}
	})
	if err != nil || len(dests) != 1 || dests[0] != gone {
		t.Fatalf("DrainErrors: %v, %v; want %v", dests, err, gone)
	}
}

func TestDialConnected(t *testing.T) {
	peer := listenLoopback(t, "udp4")
	c, err := Dial(t.Context(), nil, "udp4", peer.LocalAddr().String(), platform.DFProbe)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.(Connected).RemoteAddr() != peer.LocalAddr() || !c.Capabilities().PathMTU {
		t.Fatalf("Dial: remote %v, capabilities %+v", c.(Connected).RemoteAddr(), c.Capabilities())
	}
	if err := c.WriteTo([]byte("x"), netip.AddrPort{}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteTo([]byte("x"), closedPort(t, c)); !errors.Is(err, net.ErrWriteToConnected) {
		t.Fatalf("WriteTo another address: %v", err)
	}
	// A peer that departs: the next send meets its port unreachable and
	// goes out again.
	peer.Close()
	h := make(events, 4)
	s := New(c, h)
	if err := s.Send([]byte("anyone?"), peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitPending(t, c)
	if err := s.Send([]byte("anyone?"), peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if ev := h.next(t); ev.Kind != icmp.KindPortUnreachable || ev.Remote != peer.LocalAddr() {
		t.Fatalf("event %v", ev)
	}
	// The kernel's path MTU of the socket's route: lo's MTU, at most the
	// largest IPv4 packet.
	mtu, err := c.RouteMTU(peer.LocalAddr().Addr())
	if lo, _ := net.InterfaceByName("lo"); err != nil || lo == nil || mtu != min(lo.MTU, 65535) {
		t.Fatalf("RouteMTU = %d, %v; want the MTU of lo", mtu, err)
	}
	if c.(*udpConn).routes.reader != nil {
		t.Error("a connected socket took a routing socket")
	}
}

func TestControlChained(t *testing.T) {
	var ran []string
	lc := &net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		ran = append(ran, "listen")
		return nil
	}}
	c, err := Listen(t.Context(), lc, "udp4", "127.0.0.1:0", platform.DFProbe)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := &net.Dialer{
		LocalAddr: net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")),
		Control: func(network, address string, c syscall.RawConn) error {
			ran = append(ran, "dial")
			return nil
		},
	}
	dc, err := Dial(t.Context(), d, "udp4", c.LocalAddr().String(), platform.DFDo)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if len(ran) != 2 || !c.Capabilities().RecvErr || dc.Capabilities().DFMode != platform.DFDo {
		t.Fatalf("controls run: %v; capabilities %+v and %+v", ran, c.Capabilities(), dc.Capabilities())
	}
}

// TestRawICMPReal runs the raw ICMP listener of a socket without an error
// queue, as it runs where the system has none.
func TestRawICMPReal(t *testing.T) {
	testenv.MustRoot(t)
	var caps platform.Capabilities
	lc := net.ListenConfig{Control: platform.Control(platform.Options{DF: platform.DFProbe}, &caps)}
	pc, err := lc.ListenPacket(t.Context(), "udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := adopt(pc, caps)
	if err != nil {
		t.Fatal(err)
	}
	h := make(events, 4)
	s := New(c, h)
	defer s.Close()
	if s.ICMPSource() != ICMPRaw {
		t.Fatal("no raw ICMP listener as root")
	}
	gone := closedPort(t, c)
	if err := s.Send([]byte("raw"), gone); err != nil {
		t.Fatal(err)
	}
	ev := h.next(t)
	if ev.Kind != icmp.KindPortUnreachable || ev.Remote != gone || ev.Local != c.LocalAddr() || string(ev.Quote) != "raw" || ev.QuotedLen != 3 {
		t.Fatalf("event %v", ev)
	}
	if st := s.Stats(); st.RawICMP == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRawBesideErrorQueueReal hears a port unreachable from a raw ICMP
// listener beside the error queue, whose entry about it is ignored.
func TestRawBesideErrorQueueReal(t *testing.T) {
	testenv.MustRoot(t)
	c := listenLoopback(t, "udp4")
	h := make(events, 4)
	s, err := NewWithICMP(c, h, ICMPRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gone := closedPort(t, c)
	if err := s.Send([]byte("raw"), gone); err != nil {
		t.Fatal(err)
	}
	ev := h.next(t)
	if ev.Kind != icmp.KindPortUnreachable || ev.Remote != gone || string(ev.Quote) != "raw" {
		t.Fatalf("event %v", ev)
	}
	waitPending(t, c)
	if err := s.Send([]byte("again"), gone); err != nil {
		t.Fatal(err)
	}
	// The second datagram's own port unreachable may have come in by now.
	if st := s.Stats(); st.RawICMP == 0 || st.ICMP != st.RawICMP || st.Ignored == 0 || st.PendingRetried != 1 {
		t.Fatalf("stats %+v", st)
	}
}
