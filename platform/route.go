package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// RouteMTU returns the MTU of the route the kernel would use to send to dst,
// in bytes of IP packet: the initial path-MTU estimate of RFC 4347 section
// 4.1.1.1, which does not depend on any ICMP message received. On Linux it
// asks the kernel's routing table over netlink, so that an MTU set on the
// route counts and a path MTU cached from ICMP does not; elsewhere, and if
// that fails, it returns the MTU of the interface that holds the local
// address the kernel chooses for dst.
func RouteMTU(dst netip.Addr) (int, error) {
	if !dst.IsValid() {
		return 0, errors.New("dtls: platform: RouteMTU of an invalid address")
	}
	if mtu, err := routeMTU(dst); err == nil {
		return mtu, nil
	}
	return interfaceMTUTo(dst)
}

// interfaceMTUTo returns the MTU of the interface that holds the local
// address of a UDP socket connected to dst. Connecting a UDP socket sends
// nothing.
func interfaceMTUTo(dst netip.Addr) (int, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return 0, fmt.Errorf("dtls: platform: no route to %v: %w", dst, err)
	}
	local := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	c.Close()
	ifs, err := net.Interfaces()
	if err != nil {
		return 0, fmt.Errorf("dtls: platform: listing interfaces: %w", err)
	}
	for _, ifi := range ifs {
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, ok := a.(*net.IPNet); ok && prefixHas(p, local) {
				return ifi.MTU, nil
			}
		}
	}
	return 0, fmt.Errorf("dtls: platform: no interface holds %v, the local address towards %v", local, dst)
}

// prefixHas reports whether the interface address p is the address a.
func prefixHas(p *net.IPNet, a netip.Addr) bool {
	ip, ok := netip.AddrFromSlice(p.IP)
	return ok && ip.Unmap() == a.WithZone("")
}
