package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
)

// A Dialer contains options for opening a DTLS association to a server. The
// zero value is ready to use.
type Dialer struct {
	// MTU, if not zero, fixes the path MTU at MTU bytes including the IP and
	// UDP headers: the association sends datagrams of at most MTU−28 bytes
	// of UDP payload to an IPv4 server and MTU−48 to an IPv6 server, and
	// neither ICMP messages, handshake timeouts nor "message too long"
	// change it.
	MTU int
	// MaxMTU, if not zero, caps the path MTU: the initial estimate is the
	// MTU of the route to the server (RFC 4347 §4.1.1.1), but not above
	// MaxMTU, nor above DefaultMaxMTU when MaxMTU is zero.
	MaxMTU int
	// DF is the socket's Don't Fragment mode; the zero value is
	// platform.DFProbe, which sets the bit and leaves the decisions on
	// sizes to this package.
	DF platform.DFMode
	// DisableProbing, if true, sends no path-MTU probes after the
	// handshake: the path MTU follows ICMP messages and local errors
	// only, as with a peer that does not accept heartbeats (see Conn).
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
	if err := checkMTU(d.MTU); err != nil {
		return nil, err
	}
	config, err := clientConfig(address, config)
	if err != nil {
		return nil, err
	}
	cc, err := d.dialSocket(ctx, network, address, config)
	if err != nil {
		return nil, err
	}
	c := &Conn{Conn: dtls.Client(cc, config), path: cc.path, caps: cc.caps, noProbe: d.DisableProbing}
	if err := c.Handshake(ctx); err != nil {
		cc.Close()
		return nil, err
	}
	return c, nil
}

// dialSocket opens the connected socket through platform and sets up the
// state of its path.
func (d *Dialer) dialSocket(ctx context.Context, network, address string, config *dtls.Config) (*clientConn, error) {
	var caps platform.Capabilities
	nd := net.Dialer{Control: platform.Control(socketOptions(d.DF), &caps)}
	nc, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	uc, ok := nc.(*net.UDPConn)
	if !ok {
		nc.Close()
		return nil, errNotUDP
	}
	remote := normalize(uc.RemoteAddr().(*net.UDPAddr).AddrPort())
	p := newPath(remote, pathConfig{
		est:            initialMTU(remote.Addr(), d.MaxMTU, 0),
		fixed:          fixedMTU(d.MTU, config, remote.Addr()),
		trace:          config.Trace,
		probeTimeout:   d.ProbeTimeout,
		confirmTimeout: d.ConfirmTimeout,
		raiseTimeout:   d.RaiseTimeout,
		errQueue:       caps.RecvErr,
	})
	cc, err := newClientConn(uc, p, caps)
	if err != nil {
		uc.Close()
		return nil, err
	}
	return cc, nil
}

// fixedMTU returns the IP MTU to fix a path to remote at: mtu if it is not
// zero, else the one that config.DatagramSize asks for, if any, else 0.
func fixedMTU(mtu int, config *dtls.Config, remote netip.Addr) int {
	if mtu != 0 || config.DatagramSize == 0 {
		return mtu
	}
	return config.DatagramSize + familyOf(remote).HeaderLen()
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
		return nil, fmt.Errorf("dtls: %w", err)
	}
	config = config.Clone()
	config.ServerName = host
	return config, nil
}

// checkNetwork accepts the UDP network names of package net.
func checkNetwork(network string) error {
	switch network {
	case "udp", "udp4", "udp6":
		return nil
	}
	return fmt.Errorf("dtls: network %q is not udp, udp4 or udp6", network)
}
