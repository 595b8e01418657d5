package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/pmtu"
)

// DefaultMaxMTU caps the path MTU when Dialer.MaxMTU or ListenConfig.MaxMTU
// is zero: an Ethernet MTU. Loopback's 65536 is not a path, and peers with
// 1472-byte receive buffers exist; an application that knows its paths
// carry more raises the cap.
const DefaultMaxMTU = 1500

// A Dialer contains options for opening a DTLS association to a server. The
// zero value is ready to use.
type Dialer struct {
	// LocalAddr is the local address to use, as net.Dialer.LocalAddr; nil
	// lets the system choose.
	LocalAddr net.Addr
	// Control, if not nil, is called after the socket is created and this
	// package has set its options, before it is connected, as
	// net.Dialer.Control.
	Control func(network, address string, c syscall.RawConn) error
	// MTU, if not zero, fixes the path MTU at MTU bytes including the IP and
	// UDP headers: the association sends datagrams of at most MTU−28 bytes
	// of UDP payload to an IPv4 server and MTU−48 to an IPv6 server, and
	// neither ICMP messages, handshake timeouts nor probes change it. It
	// must leave room for a datagram of dtls.MinDatagramSize bytes, and
	// must not be above the cap (MaxMTU, or DefaultMaxMTU when MaxMTU is
	// zero) nor above the MTU of the route to the server, when the system
	// reports one: Dial and Client return an error rather than send
	// smaller datagrams than MTU asks for. To fix a larger MTU than
	// DefaultMaxMTU, raise MaxMTU too.
	MTU int
	// MaxMTU, if not zero, caps the path MTU: the initial estimate is the
	// MTU of the route to the server (RFC 4347 §4.1.1.1), but not above
	// MaxMTU, nor above DefaultMaxMTU when MaxMTU is zero. It must be
	// within [576, 65535] for an IPv4 server and [1280, 65535] for an IPv6
	// server, the bounds of Conn.SetMaxMTU; Dial and Client return an
	// error otherwise.
	MaxMTU int
	// DF is the socket's Don't Fragment mode; the zero value is
	// platform.DFProbe, which sets the bit and leaves the decisions on
	// sizes to this package.
	DF platform.DFMode
	// DisableProbing, if true, sends no path-MTU probes after the
	// handshake: the path MTU follows ICMP messages and local errors
	// only, as with a peer that does not accept heartbeats.
	DisableProbing bool
	// ProbeTimeout, ConfirmTimeout and RaiseTimeout are the timers of the
	// path-MTU search after the handshake (RFC 8899 §5.1.1): how long a
	// probe may go unanswered before it counts as lost (PROBE_TIMER), how
	// long a path MTU found is used before a probe confirms it again
	// (CONFIRMATION_TIMER), and how long before a larger size is tried
	// again (PMTU_RAISE_TIMER), which is also how long a size learned
	// from ICMP alone is kept (RFC 8201 §4). Zero means
	// pmtu.DefaultProbeTimeout, pmtu.DefaultConfirmTimeout and
	// pmtu.DefaultRaiseTimeout.
	ProbeTimeout, ConfirmTimeout, RaiseTimeout time.Duration
}

// Dial resolves address, opens a connected UDP socket ("udp", "udp4" or
// "udp6") and runs a DTLS client handshake bounded by ctx. If config is nil
// the zero Config is used. If config.ServerName is empty, Dial uses the host
// part of address, on a clone of config, as crypto/tls.Dial does.
func Dial(ctx context.Context, network, address string, config *dtls.Config) (*Conn, error) {
	var d Dialer
	return d.Dial(ctx, network, address, config)
}

// Dial is like the package-level [Dial] with the Dialer's options.
func (d *Dialer) Dial(ctx context.Context, network, address string, config *dtls.Config) (*Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	if err := d.check(pmtu.IPv4); err != nil { // the family is not known yet
		return nil, err
	}
	config, err := clientConfig(address, config)
	if err != nil {
		return nil, err
	}
	nd := &net.Dialer{LocalAddr: d.LocalAddr, Control: d.Control}
	sc, err := sock.Dial(ctx, nd, network, address, d.DF)
	if err != nil {
		return nil, err
	}
	cc, ok := sc.(sock.Connected)
	if !ok {
		sc.Close()
		return nil, errors.New("dtls: internal error: dialed socket is not connected")
	}
	c, err := d.newClient(sc, cc.RemoteAddr(), config)
	if err != nil {
		return nil, err
	}
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Client returns a client association to raddr over pc, a socket the
// application made, which the association then owns: Close closes it. Its
// handshake runs at the first Handshake, Read or Write. A *net.UDPConn gets
// the Don't Fragment bit and (on Linux) the error queue, as Dial's socket
// does; any other net.PacketConn sends datagrams of a fixed size,
// config.DatagramSize or dtls.DefaultDatagramSize bytes of UDP payload,
// and learns nothing about the path. Datagrams from other addresses than
// raddr are dropped.
func Client(pc net.PacketConn, raddr net.Addr, config *dtls.Config) (*Conn, error) {
	var d Dialer
	return d.Client(pc, raddr, config)
}

// Client is like the package-level [Client] with the Dialer's options;
// LocalAddr and Control do not apply.
func (d *Dialer) Client(pc net.PacketConn, raddr net.Addr, config *dtls.Config) (*Conn, error) {
	if err := checkPacketConn(pc, "Client"); err != nil {
		return nil, err
	}
	remote, err := addrPort(raddr)
	if err != nil {
		return nil, err
	}
	if config == nil {
		config = new(dtls.Config)
	}
	if err := d.check(pmtu.FamilyOf(remote.Addr())); err != nil {
		return nil, err
	}
	sc, err := sock.FromPacketConn(pc, d.DF)
	if err != nil {
		return nil, err
	}
	return d.newClient(sc, remote, config)
}

// newClient starts a client association to remote over sc.
func (d *Dialer) newClient(sc sock.Conn, remote netip.AddrPort, config *dtls.Config) (*Conn, error) {
	f := pmtu.FamilyOf(remote.Addr())
	if err := d.check(f); err != nil {
		sc.Close()
		return nil, err
	}
	route, _ := sc.RouteMTU(remote.Addr()) // 0 if unknown
	if route > 0 && d.MTU > route {
		sc.Close()
		return nil, fmt.Errorf("dtls: Dialer.MTU %d is above %d, the MTU of the route to %v", d.MTU, route, remote.Addr())
	}
	cfg := pathConfig{
		local:          sc.LocalAddr(),
		remote:         remote,
		route:          pmtu.MTU(route),
		maxMTU:         pmtu.MTU(d.MaxMTU),
		fixed:          fixedMTU(d.MTU, config, f, sc.Capabilities()),
		log:            configEvents(config),
		probeTimeout:   d.ProbeTimeout,
		confirmTimeout: d.ConfirmTimeout,
		raiseTimeout:   d.RaiseTimeout,
	}
	cs := newClientSide(sc, remote, newPath(cfg), config, d.DisableProbing)
	return cs.conn, nil
}

// check reports options that cannot work on a path of family f.
func (d *Dialer) check(f pmtu.Family) error {
	if err := checkMaxMTU("Dialer", d.MaxMTU, f); err != nil {
		return err
	}
	return checkFixedMTU("Dialer", d.MTU, d.MaxMTU, f)
}

// fixedMTU returns the IP MTU to fix a path of family f at: mtu if it is
// not zero, else the one config.DatagramSize asks for, if any, else, for a
// socket that cannot set the Don't Fragment bit, dtls.DefaultDatagramSize's;
// 0 when the path MTU is to be found.
func fixedMTU(mtu int, config *dtls.Config, f pmtu.Family, caps platform.Capabilities) pmtu.MTU {
	switch {
	case mtu != 0:
		return pmtu.MTU(mtu)
	case config.DatagramSize != 0:
		return f.MTU(config.DatagramSize)
	case !caps.DF:
		return f.MTU(dtls.DefaultDatagramSize)
	}
	return 0
}

// clientConfig returns config, or a clone of it whose ServerName is the host
// part of address when config has none.
func clientConfig(address string, config *dtls.Config) (*dtls.Config, error) {
	if config == nil {
		config = new(dtls.Config)
	}
	if config.ServerName != "" {
		return config, nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	c := config.Clone()
	c.ServerName = host
	return c, nil
}

// checkNetwork accepts the UDP networks.
func checkNetwork(network string) error {
	switch network {
	case "udp", "udp4", "udp6":
		return nil
	}
	return fmt.Errorf("dtls: network %q is not a UDP network", network)
}

// addrPort returns the IP address and port of a, which must be a
// *net.UDPAddr or name one.
func addrPort(a net.Addr) (netip.AddrPort, error) {
	if a == nil || a == (*net.UDPAddr)(nil) {
		return netip.AddrPort{}, errors.New("dtls: no remote address")
	}
	if ua, ok := a.(*net.UDPAddr); ok {
		if ap := ua.AddrPort(); ap.Addr().IsValid() {
			return normalize(ap), nil
		}
		return netip.AddrPort{}, fmt.Errorf("dtls: remote address %v is not an IP address and port", a)
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("dtls: remote address %v is not an IP address and port", a)
	}
	return normalize(ap), nil
}

// checkPacketConn rejects a nil socket, which fn would otherwise use and
// panic.
func checkPacketConn(pc net.PacketConn, fn string) error {
	if pc == nil || pc == (*net.UDPConn)(nil) {
		return fmt.Errorf("dtls: %s needs a net.PacketConn, not nil", fn)
	}
	return nil
}

// normalize turns an IPv4-mapped IPv6 address into the IPv4 address, so
// that each peer has one spelling.
func normalize(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
