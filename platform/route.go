package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
)

// RouteMTU returns the MTU of the route the kernel would use to send to dst,
// in bytes of IP packet: the initial path-MTU estimate of RFC 4347 section
// 4.1.1.1, which does not depend on any ICMP message received. On Linux it
// asks the routing table of the calling thread's network namespace over
// netlink, so that an MTU set on the route counts and a path MTU cached
// from ICMP does not, through the socket of that namespace's
// [RouteReader]s if it has any and else through a socket of its own;
// elsewhere, and if that fails, it returns the MTU of the interface that
// holds the local address the kernel chooses for dst. A caller that asks
// often holds a RouteReader.
func RouteMTU(dst netip.Addr) (int, error) {
	if !dst.IsValid() {
		return 0, errInvalidDst
	}
	r := NewRouteReader()
	defer r.Close()
	if r.s != nil {
		if mtu, err := r.s.routeMTU(dst.Unmap()); err == nil {
			return mtu, nil
		}
	}
	return interfaceMTUTo(dst)
}

// errInvalidDst reports a route MTU asked for the zero Addr.
var errInvalidDst = errors.New("dtls: platform: RouteMTU of an invalid address")

// errNoRouteSocket reports that a RouteReader has no routing socket to
// ask: the system has none, or it could not be opened.
var errNoRouteSocket = fmt.Errorf("dtls: platform: no routing socket: %w", ErrUnsupported)

// A RouteReader reads the MTUs of routes, as [RouteMTU] does, in the
// network namespace of the thread that made it, whichever goroutine or
// thread asks later; on systems without network namespaces, in the
// system's. On Linux every RouteReader of a namespace shares one
// long-lived rtnetlink socket, which its last Close closes, so that a
// lookup opens nothing and lists no interfaces: it asks for the route and,
// if the route has no MTU of its own, for the one interface it leaves by.
// After a failure of that socket, the next lookup replaces it, if it runs
// on a thread in the socket's namespace, or else empties it, and tries
// again. A RouteReader is safe for concurrent use.
//
// Make a RouteReader on the thread that makes the sockets it serves: a
// program that moves threads between namespaces (setns) locks the
// goroutine to its thread around both.
type RouteReader struct {
	s      *routeSocket // nil where the system has no routing socket
	closed atomic.Bool
}

// HasSocket reports whether r asks a routing socket of its namespace, so
// that what it reads holds for the sockets made with it; if not, it reads
// the interfaces of the thread that asks.
func (r *RouteReader) HasSocket() bool { return r.s != nil }

// NewRouteReader returns a RouteReader for the network namespace of the
// calling thread. It does not fail: where no routing socket can be had,
// its RouteMTU falls back to the interface MTU as RouteMTU does.
func NewRouteReader() *RouteReader {
	return &RouteReader{s: acquireRouteSocket()}
}

// RouteMTU returns the MTU of the route to dst, in bytes of IP packet, as
// [RouteMTU] does, but from r's namespace and without falling back to the
// interface MTU when the kernel answers with an error such as "network is
// unreachable": a fallback would read the interfaces of the calling
// thread's namespace. Where r has no routing socket, it falls back.
func (r *RouteReader) RouteMTU(dst netip.Addr) (int, error) {
	if !dst.IsValid() {
		return 0, errInvalidDst
	}
	if r.closed.Load() {
		return 0, fmt.Errorf("dtls: platform: RouteMTU: %w", net.ErrClosed)
	}
	if r.s == nil {
		return interfaceMTUTo(dst)
	}
	mtu, err := r.s.routeMTU(dst.Unmap())
	if errors.Is(err, errNoRouteSocket) {
		return interfaceMTUTo(dst)
	}
	return mtu, err
}

// Close releases r; on Linux the last RouteReader of a namespace closes
// its socket. Closing r again does nothing.
func (r *RouteReader) Close() error {
	if !r.closed.Swap(true) && r.s != nil {
		r.s.release()
	}
	return nil
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
