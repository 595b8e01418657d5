package sock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
)

// options are the socket options every real Conn is opened with: the Don't
// Fragment mode asked for and, where the system has it, the error queue.
func options(df platform.DFMode) platform.Options {
	return platform.Options{DF: df, RecvErr: true}
}

// A udpConn is the real Conn: a *net.UDPConn with the options of
// platform. It starts no goroutines.
type udpConn struct {
	c      *net.UDPConn
	raw    syscall.RawConn
	caps   platform.Capabilities
	local  netip.AddrPort
	peer   netip.AddrPort // the zero AddrPort unless connected
	routes routeCache
	batch  batcher // batched I/O and offloads, where the system has them
}

var (
	_ Conn             = (*udpConn)(nil)
	_ Connected        = (*udpConn)(nil)
	_ ICMPListener     = (*udpConn)(nil)
	_ ReadBufferSetter = (*udpConn)(nil)
)

// SetReadBuffer implements ReadBufferSetter, past the system's cap where
// the process may (platform.SetReadBuffer).
func (u *udpConn) SetReadBuffer(bytes int) error {
	platform.SetReadBuffer(u.c, bytes)
	return nil
}

// Listen opens an unconnected UDP socket on address, network "udp",
// "udp4" or "udp6", with the Don't Fragment mode df and, where the system
// has one, the error queue on. lc may be nil; its Control, if any, runs
// after the options of package platform are set.
func Listen(ctx context.Context, lc *net.ListenConfig, network, address string, df platform.DFMode) (Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	var cfg net.ListenConfig
	if lc != nil {
		cfg = *lc
	}
	var caps platform.Capabilities
	cfg.Control = chainControl(platform.Control(options(df), &caps), cfg.Control)
	pc, err := cfg.ListenPacket(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return adopt(pc, caps)
}

// ListenGroup opens n unconnected UDP sockets on address, as Listen does,
// that share it (SO_REUSEPORT) so that the system spreads the datagrams of
// different peers among them. Where the system does not spread datagrams
// so (platform.ReusePortBalances), or if n is 1, it opens one socket.
//
// The address must be free, as for Listen: a group does not join another
// group (of this process or another of the same user) that holds it
// already. An ordinary socket is bound to address first, which fails if
// anything holds it and has the system choose the port if address has
// none; the group is then bound to that address once it is released.
// Between the two, for a moment, another socket could take the port: a
// port the system chose is then chosen again, a few times at most; one
// that address named is taken, and ListenGroup fails as Listen would.
func ListenGroup(ctx context.Context, lc *net.ListenConfig, network, address string, df platform.DFMode, n int) ([]Conn, error) {
	if n <= 1 || !platform.ReusePortBalances {
		c, err := Listen(ctx, lc, network, address, df)
		if err != nil {
			return nil, err
		}
		return []Conn{c}, nil
	}
	var cfg net.ListenConfig
	if lc != nil {
		cfg = *lc
	}
	_, port, _ := net.SplitHostPort(address)
	chosen := port == "" || port == "0"
	for attempt := 1; ; attempt++ {
		bound, err := claim(ctx, cfg, network, address)
		if err != nil {
			return nil, err
		}
		if afterClaim != nil {
			afterClaim(bound)
		}
		group, err := listenShared(ctx, cfg, network, bound, df, n)
		if err == nil || !chosen || !errors.Is(err, syscall.EADDRINUSE) || attempt == maxClaims {
			return group, err
		}
	}
}

// maxClaims bounds how many ports ListenGroup has the system choose.
const maxClaims = 5

// afterClaim, if set, runs between a claim and the group's bind: tests
// take the port there.
var afterClaim func(bound string)

// listenShared binds n sockets that share address (SO_REUSEPORT), or
// none.
func listenShared(ctx context.Context, cfg net.ListenConfig, network, address string, df platform.DFMode, n int) ([]Conn, error) {
	reuse := func(_, _ string, c syscall.RawConn) error { return platform.SetReusePort(c) }
	cfg.Control = chainControl(reuse, cfg.Control)
	group := make([]Conn, 0, n)
	for range n {
		c, err := Listen(ctx, &cfg, network, address, df)
		if err != nil {
			for _, c := range group {
				c.Close()
			}
			return nil, err
		}
		group = append(group, c)
	}
	return group, nil
}

// claim binds an ordinary socket, with cfg's Control but not SO_REUSEPORT,
// to address, closes it, and returns its address: an error if the address
// is taken, and the port the system chose if address had none.
func claim(ctx context.Context, cfg net.ListenConfig, network, address string) (string, error) {
	pc, err := cfg.ListenPacket(ctx, network, address)
	if err != nil {
		return "", err
	}
	bound := pc.LocalAddr().String()
	if err := pc.Close(); err != nil {
		return "", err
	}
	return bound, nil
}

// Dial opens a UDP socket connected to address, network "udp", "udp4" or
// "udp6", with the Don't Fragment mode df and, where the system has one,
// the error queue on. The socket stays connected: the kernel's path MTU
// and the ICMP errors of connected sockets then work everywhere. d may be
// nil; its Control or ControlContext, if any, runs after the options of
// package platform are set, and its LocalAddr is honoured.
func Dial(ctx context.Context, d *net.Dialer, network, address string, df platform.DFMode) (Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	var nd net.Dialer
	if d != nil {
		nd = *d
	}
	var caps platform.Capabilities
	ctl := platform.Control(options(df), &caps)
	if user := nd.ControlContext; user != nil {
		nd.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
			if err := ctl(network, address, c); err != nil {
				return err
			}
			return user(ctx, network, address, c)
		}
	} else {
		nd.Control = chainControl(ctl, nd.Control)
	}
	nc, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return adopt(nc, caps)
}

// FromPacketConn returns a Conn over pc, a socket the application made.
// A *net.UDPConn, connected or not, gets the Don't Fragment mode df and,
// where the system has one, the error queue, through
// [platform.Configure]; an error means an option the system provides was
// refused, and pc is left open. Any other net.PacketConn is wrapped as it
// is, with zero Capabilities, no error queue, and a RouteMTU that fails:
// the transport then uses a fixed size. The route MTUs of a
// *net.UDPConn are read in the network namespace of the thread that calls
// FromPacketConn, which must be pc's. Closing the Conn closes pc.
func FromPacketConn(pc net.PacketConn, df platform.DFMode) (Conn, error) {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return newPacketConn(pc), nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("dtls: sock: %w", err)
	}
	network := "udp6"
	if addrOf(uc.LocalAddr()).Addr().Is4() {
		network = "udp4"
	}
	caps, err := platform.Configure(raw, network, options(df))
	if err != nil {
		return nil, err
	}
	return newUDPConn(uc, raw, caps), nil
}

// adopt makes a Conn of a socket just opened with the capabilities caps,
// closing it if it is not a UDP socket.
func adopt(c io.Closer, caps platform.Capabilities) (Conn, error) {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		c.Close()
		return nil, errors.New("dtls: sock: the socket opened is not a UDP socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("dtls: sock: %w", err)
	}
	return newUDPConn(uc, raw, caps), nil
}

// newUDPConn makes the Conn, taking the route reader of the socket's
// network namespace and reading the bound on route MTUs and, for a
// connected socket, the route MTU of its peer now, while the caller is in
// that namespace: Listen and Dial run on the thread that made the socket,
// and FromPacketConn's caller is taken to be in the socket's namespace.
// Route MTUs are then read there, whichever thread asks.
func newUDPConn(uc *net.UDPConn, raw syscall.RawConn, caps platform.Capabilities) *udpConn {
	u := &udpConn{c: uc, raw: raw, caps: caps, local: addrOf(uc.LocalAddr())}
	if ra := uc.RemoteAddr(); ra != nil {
		u.peer = addrOf(ra)
	}
	u.initBatch()
	if u.peer.IsValid() && u.readOwnRoute() {
		return u
	}
	u.routes.reader = platform.NewRouteReader()
	if !u.routes.reader.HasSocket() {
		// The routes read may not be the socket's: bound them by its
		// interfaces. A routing socket of the namespace needs no bound,
		// and listing every interface for each socket costs more than
		// the lookups.
		u.routes.bound = interfaceMTU(u.local.Addr())
	}
	if u.peer.IsValid() {
		// Best effort: a failure is retried when the MTU is asked for.
		_, _ = u.routes.lookup(u.peer.Addr())
	}
	return u
}

// readOwnRoute makes the route MTU of a connected socket's peer the
// kernel's path MTU of the socket's route (IP_MTU, IPV6_MTU), if the
// kernel answers it: read in the socket's own namespace whichever thread
// asks, and with one system call, where a routing socket would cost a
// socket and an exchange for each connection. It reports whether it did.
func (u *udpConn) readOwnRoute() bool {
	network := "udp6"
	if u.local.Addr().Is4() {
		network = "udp4"
	}
	u.routes.peer = u.peer.Addr()
	u.routes.own = func() (int, error) { return platform.PathMTU(u.raw, network) }
	if _, err := u.routes.lookupOwn(time.Now()); err != nil {
		u.routes.own = nil
		return false
	}
	return true
}

// addrOf returns the unmapped address and port of a, a *net.UDPAddr, or
// the zero AddrPort.
func addrOf(a net.Addr) netip.AddrPort {
	if ua, ok := a.(*net.UDPAddr); ok && ua != nil {
		return unmapAP(ua.AddrPort())
	}
	return netip.AddrPort{}
}

// chainControl returns a Control function that runs first and then
// second, if second is not nil.
func chainControl(first, second func(network, address string, c syscall.RawConn) error) func(network, address string, c syscall.RawConn) error {
	if second == nil {
		return first
	}
	return func(network, address string, c syscall.RawConn) error {
		if err := first(network, address, c); err != nil {
			return err
		}
		return second(network, address, c)
	}
}

// checkNetwork accepts the UDP network names of package net.
func checkNetwork(network string) error {
	switch network {
	case "udp", "udp4", "udp6":
		return nil
	}
	return fmt.Errorf("dtls: sock: network %q is not udp, udp4 or udp6", network)
}

// ReadFrom implements Conn.
func (u *udpConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	return u.readOne(b)
}

// readPlain reads one datagram with recvfrom.
func (u *udpConn) readPlain(b []byte) (int, netip.AddrPort, error) {
	n, from, err := u.c.ReadFromUDPAddrPort(b)
	return n, unmapAP(from), err
}

// WriteTo implements Conn. Package net maps an IPv4 destination for an
// IPv6 socket.
func (u *udpConn) WriteTo(b []byte, to netip.AddrPort) error {
	to = unmapAP(to)
	if u.peer.IsValid() {
		if to.IsValid() && to != u.peer {
			return &net.OpError{Op: "write", Net: "udp", Source: u.c.LocalAddr(), Addr: net.UDPAddrFromAddrPort(to), Err: net.ErrWriteToConnected}
		}
		_, err := u.c.Write(b)
		return err
	}
	_, err := u.c.WriteToUDPAddrPort(b, to)
	return err
}

// DrainErrors implements Conn.
func (u *udpConn) DrainErrors(fn func(platform.QueuedError)) error {
	if !u.caps.RecvErr {
		return nil
	}
	return platform.ReadErrQueue(u.raw, func(q platform.QueuedError) {
		q.Dest = unmapAP(q.Dest)
		q.Offender = q.Offender.Unmap()
		fn(q)
	})
}

// RouteMTU implements Conn: the route MTU in the socket's network
// namespace ([platform.RouteReader]), bounded by the MTU of the socket's
// own interfaces, read once per destination for a while.
func (u *udpConn) RouteMTU(dst netip.Addr) (int, error) { return u.routes.lookup(dst) }

// LocalAddr implements Conn.
func (u *udpConn) LocalAddr() netip.AddrPort { return u.local }

// RemoteAddr implements Connected.
func (u *udpConn) RemoteAddr() netip.AddrPort { return u.peer }

// Capabilities implements Conn.
func (u *udpConn) Capabilities() platform.Capabilities { return u.caps }

// Close implements Conn, and releases the socket's route reader.
func (u *udpConn) Close() error {
	if u.routes.reader != nil {
		u.routes.reader.Close()
	}
	return u.c.Close()
}

// ListenICMP implements ICMPListener with one raw ICMP socket for each
// address family the socket carries, each watching its local address.
func (u *udpConn) ListenICMP(fn func(icmp.Event)) (io.Closer, error) {
	networks := []string{"ip6:ipv6-icmp"}
	switch {
	case u.local.Addr().Is4():
		networks = []string{"ip4:icmp"}
	case u.caps.DualStack:
		networks = append(networks, "ip4:icmp")
	}
	var ls rawListeners
	for _, network := range networks {
		l, err := icmp.ListenRaw(network, fn)
		if err != nil {
			_ = ls.Close() // the error to report is err
			return nil, err
		}
		l.Watch(u.local)
		ls = append(ls, l)
	}
	return ls, nil
}

// rawListeners closes a Conn's raw ICMP listeners together.
type rawListeners []*icmp.RawListener

// Close closes every listener and returns their errors.
func (ls rawListeners) Close() error {
	var errs []error
	for _, l := range ls {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}
