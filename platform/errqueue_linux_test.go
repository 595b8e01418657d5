package platform

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// addrPort returns the address and port c is bound to.
func addrPort(c *net.UDPConn) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// readQueue drains c's error queue.
func readQueue(t *testing.T, c *net.UDPConn) []QueuedError {
	t.Helper()
	var got []QueuedError
	if err := ReadErrQueue(rawConn(t, c), func(q QueuedError) { got = append(got, q) }); err != nil {
		t.Fatal(err)
	}
	return got
}

// checkQueued checks that got is the single entry want.
func checkQueued(t *testing.T, got []QueuedError, want QueuedError) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("error queue had %d entries, want 1: %+v", len(got), got)
	}
	g := got[0]
	if !bytes.Equal(g.Payload, want.Payload) {
		t.Errorf("payload %q, want %q", g.Payload, want.Payload)
	}
	if g.Errno != want.Errno || g.Origin != want.Origin || g.Type != want.Type || g.Code != want.Code ||
		g.Info != want.Info || g.Offender != want.Offender || g.Dest != want.Dest {
		t.Errorf("entry %+v, want %+v", g, want)
	}
}

// v4mapped returns a as an IPv4-mapped IPv6 address.
func v4mapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(a.Addr().As16()), a.Port())
}

// errQueueCases are the sockets the error queue must work on: the socket's
// network and address, the peer's, and the address the socket sends to.
var errQueueCases = []struct {
	name                 string
	network, address     string
	peerNetwork, peerDst string
	ipv6, mapped         bool
}{
	{"ipv4", "udp4", "127.0.0.1:0", "udp4", "127.0.0.1", false, false},
	{"ipv6", "udp6", "[::1]:0", "udp6", "::1", true, false},
	{"dual-stack/ipv4", "udp", "[::]:0", "udp4", "127.0.0.1", false, true},
	{"dual-stack/ipv6", "udp", "[::]:0", "udp6", "::1", true, false},
}

func TestErrQueueLocal(t *testing.T) {
	ns := newNetns(t, 1500)
	for _, tc := range errQueueCases {
		for _, mode := range []DFMode{DFProbe, DFDo} {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				c, _ := listenUDP(t, ns, tc.network, tc.address, Options{DF: mode, RecvErr: true})
				dst := netip.AddrPortFrom(netip.MustParseAddr(tc.peerDst), 9)
				_, err := c.WriteToUDPAddrPort(make([]byte, 2000), dst)
				if !IsMessageTooLong(err) || !IsTransientReadError(err) {
					t.Fatalf("sending 2000 bytes over a 1500-byte link: %v, want EMSGSIZE", err)
				}
				got := readQueue(t, c)
				if len(got) == 1 {
					// The kernel names the destination port of a local
					// IPv4 error only for a connected socket.
					got[0].Dest = netip.AddrPort{}
				}
				checkQueued(t, got, QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginLocal, Info: 1500})
			})
		}
	}
}

func TestErrQueueICMP(t *testing.T) {
	for _, tc := range errQueueCases {
		for _, connected := range []bool{false, true} {
			name := tc.name + "/unconnected"
			if connected {
				name = tc.name + "/connected"
			}
			t.Run(name, func(t *testing.T) {
				// A namespace each: the kernel's path MTU cache is shared.
				ns := newNetns(t, 1500)
				testErrQueueICMP(t, ns, tc.network, tc.address, tc.peerNetwork, tc.peerDst, tc.ipv6, tc.mapped, connected)
			})
		}
	}
}

func testErrQueueICMP(t *testing.T, ns *netns, network, address, peerNetwork, peerDst string, ipv6, mapped, connected bool) {
	c, caps := listenUDP(t, ns, network, address, Options{RecvErr: true})
	if !caps.RecvErr || !caps.DF {
		t.Fatalf("capabilities %+v", caps)
	}
	peer, _ := listenUDP(t, ns, peerNetwork, net.JoinHostPort(peerDst, "0"), Options{})
	dst := netip.AddrPortFrom(netip.MustParseAddr(peerDst), addrPort(peer).Port())
	payload := []byte("\x16\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00 a record, quoted back")
	send := func(b []byte) error {
		_, err := c.WriteToUDPAddrPort(b, dst)
		return err
	}
	if connected {
		c = dialUDP(t, ns, network, address, dst)
		checkMTUs(t, ns, c, network, dst.Addr(), 1500, 1500)
		send = func(b []byte) error {
			_, err := c.Write(b)
			return err
		}
	}
	if err := send(payload); err != nil {
		t.Fatal(err)
	}
	src := netip.AddrPortFrom(dst.Addr(), addrPort(c).Port())
	want := QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginICMP, Type: 3, Code: 4, Info: 1280, Offender: dst.Addr(), Dest: dst, Payload: payload}
	msg := fragNeeded(src, dst, 1280, payload)
	if ipv6 {
		want.Origin, want.Type, want.Code = OriginICMP6, 2, 0
		msg = packetTooBig(src, dst, 1280, payload)
	}
	if mapped {
		want.Offender, want.Dest = netip.AddrFrom16(dst.Addr().As16()), v4mapped(dst)
	}
	forge(t, ns, ipv6, msg)
	// The kernel reports the error once as the socket's pending error.
	if _, _, err := c.ReadFromUDPAddrPort(make([]byte, 10)); !IsMessageTooLong(err) || !IsTransientReadError(err) {
		t.Fatalf("read after the ICMP message: %v, want EMSGSIZE", err)
	}
	checkQueued(t, readQueue(t, c), want)
	if got := readQueue(t, c); len(got) != 0 {
		t.Errorf("error queue not empty after a drain: %+v", got)
	}
	// The probe mode keeps sending what the interface allows.
	if err := send(make([]byte, 1400)); err != nil {
		t.Errorf("sending 1400 bytes after the ICMP message: %v", err)
	}
	if connected {
		checkMTUs(t, ns, c, network, dst.Addr(), 1280, 1500)
	}
}

// checkMTUs checks the path MTU of the connected socket c, and the route
// MTU to dst, which a path MTU learnt from ICMP does not change.
func checkMTUs(t *testing.T, ns *netns, c *net.UDPConn, network string, dst netip.Addr, wantPath, wantRoute int) {
	t.Helper()
	if mtu, err := PathMTU(rawConn(t, c), network); mtu != wantPath || err != nil {
		t.Errorf("PathMTU = %d, %v; want %d", mtu, err, wantPath)
	}
	var (
		mtu int
		err error
	)
	ns.do(func() { mtu, err = RouteMTU(dst) })
	if mtu != wantRoute || err != nil {
		t.Errorf("RouteMTU = %d, %v; want %d", mtu, err, wantRoute)
	}
}

// dialUDP opens a UDP socket in ns connected to dst, with RecvErr.
func dialUDP(t *testing.T, ns *netns, network, address string, dst netip.AddrPort) *net.UDPConn {
	t.Helper()
	laddr, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		t.Fatal(err)
	}
	d := net.Dialer{LocalAddr: laddr, Control: Control(Options{RecvErr: true}, nil)}
	var c net.Conn
	ns.do(func() { c, err = d.DialContext(t.Context(), network, dst.String()) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

func TestErrQueueDo(t *testing.T) {
	// In the do mode, the kernel refuses what exceeds the path MTU it
	// learnt.
	ns := newNetns(t, 1500)
	peer, _ := listenUDP(t, ns, "udp4", "127.0.0.1:0", Options{})
	dst := addrPort(peer)
	c := dialUDP(t, ns, "udp4", "127.0.0.1:0", dst)
	if err := SetDF(rawConn(t, c), "udp4", DFDo); err != nil {
		t.Fatal(err)
	}
	payload := []byte("datagram")
	if _, err := c.Write(payload); err != nil {
		t.Fatal(err)
	}
	forge(t, ns, false, fragNeeded(addrPort(c), dst, 1280, payload))
	if _, err := c.Read(make([]byte, 10)); !IsMessageTooLong(err) {
		t.Fatalf("read after the ICMP message: %v, want EMSGSIZE", err)
	}
	readQueue(t, c)
	if _, err := c.Write(make([]byte, 1400)); !IsMessageTooLong(err) {
		t.Fatalf("sending 1400 bytes after learning 1280: %v, want EMSGSIZE", err)
	}
	checkQueued(t, readQueue(t, c), QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginLocal, Info: 1280, Dest: dst})
}

func TestErrQueuePortUnreachable(t *testing.T) {
	// The kernel itself answers a datagram to a closed port.
	ns := newNetns(t, 1500)
	c, _ := listenUDP(t, ns, "udp4", "127.0.0.1:0", Options{RecvErr: true})
	closed, _ := listenUDP(t, ns, "udp4", "127.0.0.1:0", Options{})
	dst := addrPort(closed)
	closed.Close()
	if _, err := c.WriteToUDPAddrPort([]byte("hello"), dst); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.ReadFromUDPAddrPort(make([]byte, 10))
	if !errors.Is(err, syscall.ECONNREFUSED) || !IsTransientReadError(err) || IsMessageTooLong(err) {
		t.Fatalf("read after a port unreachable: %v, want ECONNREFUSED", err)
	}
	checkQueued(t, readQueue(t, c), QueuedError{Errno: syscall.ECONNREFUSED, Origin: OriginICMP, Type: 3, Code: 3,
		Offender: dst.Addr(), Dest: dst, Payload: []byte("hello")})
}

func TestErrQueueOff(t *testing.T) {
	// Without RecvErr a connected socket gets the pending error only.
	ns := newNetns(t, 1500)
	peer, _ := listenUDP(t, ns, "udp4", "127.0.0.1:0", Options{})
	dst := addrPort(peer)
	var (
		c   net.Conn
		err error
	)
	d := net.Dialer{Control: Control(Options{}, nil)}
	ns.do(func() { c, err = d.DialContext(t.Context(), "udp4", dst.String()) })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	forge(t, ns, false, fragNeeded(c.LocalAddr().(*net.UDPAddr).AddrPort(), dst, 1280, []byte("x")))
	if _, err := c.Read(make([]byte, 10)); !IsMessageTooLong(err) {
		t.Fatalf("read after the ICMP message: %v, want EMSGSIZE", err)
	}
	if got := readQueue(t, c.(*net.UDPConn)); len(got) != 0 {
		t.Errorf("error queue without RecvErr: %+v", got)
	}
}

func TestPathMTUUnconnected(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := PathMTU(rawConn(t, c), "udp4"); !errors.Is(err, unix.ENOTCONN) {
		t.Errorf("PathMTU of an unconnected socket: %v, want ENOTCONN", err)
	}
}

func TestRouteMTU(t *testing.T) {
	ns := newNetns(t, 9000)
	for _, tc := range []struct {
		dst     string
		want    int
		wantErr error
	}{
		{"127.0.0.1", 9000, nil},
		{"::1", 9000, nil},
		{"::ffff:127.0.0.2", 9000, nil},
		{"192.0.2.1", 0, unix.ENETUNREACH},
		{"2001:db8::1", 0, unix.ENETUNREACH},
	} {
		var (
			got, fallback int
			err, ferr     error
		)
		dst := netip.MustParseAddr(tc.dst)
		ns.do(func() {
			got, err = RouteMTU(dst)
			fallback, ferr = interfaceMTUTo(dst)
		})
		if got != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("RouteMTU(%v) = %d, %v; want %d, %v", dst, got, err, tc.want, tc.wantErr)
		}
		if fallback != tc.want || !errors.Is(ferr, tc.wantErr) {
			t.Errorf("interfaceMTUTo(%v) = %d, %v; want %d, %v", dst, fallback, ferr, tc.want, tc.wantErr)
		}
	}
	if _, err := RouteMTU(netip.Addr{}); err == nil {
		t.Error("RouteMTU of the zero Addr succeeded")
	}
}
