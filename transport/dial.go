package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/pathdtls/pathdtls/dtls"
)

// A Dialer contains options for opening a DTLS association to a server. The
// zero value is ready to use.
type Dialer struct {
	// MTU, if not zero, fixes the path MTU at MTU bytes including the IP and
	// UDP headers: the association sends datagrams of at most MTU−28 bytes
	// of UDP payload to an IPv4 server and MTU−48 to an IPv6 server, and
	// neither handshake timeouts nor "message too long" lower it.
	MTU int
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
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	var remote netip.Addr // unknown: sized as IPv6, the larger overhead
	if ua, ok := nc.RemoteAddr().(*net.UDPAddr); ok {
		remote = ua.AddrPort().Addr()
	}
	c := dtls.Client(withMTU(nc, d.MTU, remote), config)
	if err := c.Handshake(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return &Conn{Conn: c}, nil
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
