package sock

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/pathdtls/pathdtls/platform"
)

// A packetConn adapts a net.PacketConn that is not a *net.UDPConn: no
// Don't Fragment bit, no error queue, no route MTU.
type packetConn struct {
	pc    net.PacketConn
	local netip.AddrPort
}

var (
	_ Conn      = (*packetConn)(nil)
	_ Connected = (*packetConn)(nil)
)

func newPacketConn(pc net.PacketConn) *packetConn {
	local, _ := addrPortOf(pc.LocalAddr())
	return &packetConn{pc: pc, local: local}
}

// addrPortOf converts a, a *net.UDPAddr or any address whose String is an
// IP address and port.
func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	if ua, ok := a.(*net.UDPAddr); ok && ua != nil {
		return unmapAP(ua.AddrPort()), true
	}
	if a == nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	return unmapAP(ap), err == nil
}

// ReadFrom implements Conn. A datagram from an address that is not an IP
// address and port is dropped.
func (p *packetConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	for {
		n, a, err := p.pc.ReadFrom(b)
		if err != nil {
			return n, netip.AddrPort{}, err
		}
		if from, ok := addrPortOf(a); ok {
			return n, from, nil
		}
	}
}

// WriteTo implements Conn.
func (p *packetConn) WriteTo(b []byte, to netip.AddrPort) error {
	_, err := p.pc.WriteTo(b, net.UDPAddrFromAddrPort(to))
	return err
}

// DrainErrors implements Conn: there is no error queue.
func (p *packetConn) DrainErrors(func(platform.QueuedError)) error { return nil }

// RouteMTU implements Conn: the route of a socket that is not the
// operating system's is unknown.
func (p *packetConn) RouteMTU(dst netip.Addr) (int, error) {
	return 0, fmt.Errorf("dtls: sock: route MTU of a %T: %w", p.pc, platform.ErrUnsupported)
}

// LocalAddr implements Conn.
func (p *packetConn) LocalAddr() netip.AddrPort { return p.local }

// RemoteAddr implements Connected: a net.PacketConn is taken as
// unconnected.
func (p *packetConn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }

// Capabilities implements Conn: none.
func (p *packetConn) Capabilities() platform.Capabilities { return platform.Capabilities{} }

// Close implements Conn.
func (p *packetConn) Close() error { return p.pc.Close() }
