package memnet

import (
	"net/netip"
	"slices"
	"syscall"
)

// Defaults of a HostConfig.
const (
	// DefaultMTU is the interface MTU of a host whose HostConfig.MTU is 0.
	DefaultMTU = 1500
	// DefaultRecvBuffer is the receive buffer of a socket, in bytes, when
	// HostConfig.RecvBuffer is 0: Linux's default net.core.rmem_default.
	DefaultRecvBuffer = 212992
)

// The range of ephemeral ports, as Linux's net.ipv4.ip_local_port_range.
const (
	ephemeralFirst = 32768
	ephemeralLast  = 60999
)

// HostConfig describes a host.
type HostConfig struct {
	// Addrs are the host's addresses, IPv4 and IPv6, several of each
	// allowed. The first of a family is the source address of datagrams
	// of that family from a socket bound to a wildcard address.
	Addrs []netip.Addr
	// MTU is the MTU of the host's interface, in bytes of IP packet; 0
	// means DefaultMTU. A send larger than the route's MTU (this, unless
	// a route overrides it) is refused.
	MTU int
	// RecvBuffer is the size in bytes of each socket's receive buffer; 0
	// means DefaultRecvBuffer. Datagrams and error-queue entries count
	// against it, each with its length plus a fixed overhead that stands
	// for the kernel's bookkeeping.
	RecvBuffer int
	// NoErrorQueue makes the host behave as a system without IP_RECVERR:
	// its sockets have no error queue, an ICMP error becomes a pending
	// error on a connected socket only, and a local refusal returns
	// EMSGSIZE without an entry.
	NoErrorQueue bool
	// RawICMP lets the host's sockets open raw ICMP listeners, as a
	// privileged process can.
	RawICMP bool
}

// A Host is a host of a Network.
type Host struct {
	net *Network
	// The fields below are guarded by net.mu.
	cfg      HostConfig
	routes   []route
	ports    map[uint16][]*Conn
	nextPort int
}

// A route overrides the MTU towards the addresses of a prefix.
type route struct {
	dst netip.Prefix
	mtu int
}

// Addrs returns the host's addresses.
func (h *Host) Addrs() []netip.Addr {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	return slices.Clone(h.cfg.Addrs)
}

// SetMTU sets the MTU of the host's interface; 0 means DefaultMTU.
func (h *Host) SetMTU(mtu int) {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	if mtu <= 0 {
		mtu = DefaultMTU
	}
	h.cfg.MTU = mtu
}

// SetRouteMTU sets the MTU of the route to the addresses of dst, as "ip
// route ... mtu" does; 0 removes the override. The longest prefix that
// holds a destination decides.
func (h *Host) SetRouteMTU(dst netip.Prefix, mtu int) {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	dst = dst.Masked()
	h.routes = slices.DeleteFunc(h.routes, func(r route) bool { return r.dst == dst })
	if mtu > 0 {
		h.routes = append(h.routes, route{dst: dst, mtu: mtu})
	}
}

// routeMTULocked returns the MTU of the route to dst.
func (h *Host) routeMTULocked(dst netip.Addr) int {
	dst = dst.Unmap()
	best, mtu := -1, h.cfg.MTU
	for _, r := range h.routes {
		if r.dst.Contains(dst) && r.dst.Bits() > best {
			best, mtu = r.dst.Bits(), r.mtu
		}
	}
	return mtu
}

// Listen opens an unconnected socket bound to addr: an address of the
// host, 0.0.0.0 for every IPv4 address, or :: (or the zero Addr) for
// every address of both families, as a dual-stack socket. Port 0 picks an
// ephemeral port.
func (h *Host) Listen(addr netip.AddrPort) (*Conn, error) {
	return h.open(addr, netip.AddrPort{})
}

// Dial opens a socket connected to remote, bound to local. The zero or an
// unspecified local address picks the host's first address of remote's
// family; port 0 picks an ephemeral port. The socket receives datagrams
// from remote only, and sends to remote only.
func (h *Host) Dial(local, remote netip.AddrPort) (*Conn, error) {
	remote = unmapAP(remote)
	if !remote.Addr().IsValid() || remote.Addr().IsUnspecified() || remote.Port() == 0 {
		return nil, opError("dial", "connect", local, remote, syscall.EINVAL)
	}
	if !local.Addr().IsValid() || local.Addr().IsUnspecified() {
		h.net.mu.Lock()
		src, ok := h.sourceLocked(remote.Addr())
		h.net.mu.Unlock()
		if !ok {
			return nil, opError("dial", "connect", local, remote, syscall.EADDRNOTAVAIL)
		}
		local = netip.AddrPortFrom(src, local.Port())
	}
	if local.Addr().Unmap().Is4() != remote.Addr().Is4() {
		return nil, opError("dial", "connect", local, remote, syscall.EAFNOSUPPORT)
	}
	return h.open(local, remote)
}

// open binds a new socket to local and, if remote is valid, connects it.
func (h *Host) open(local, remote netip.AddrPort) (*Conn, error) {
	op := "listen"
	if remote.IsValid() {
		op = "dial"
	}
	a := local.Addr().Unmap().WithZone("")
	if !a.IsValid() {
		a = netip.IPv6Unspecified()
	}
	n := h.net
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return nil, opError(op, "bind", local, remote, syscall.ENETDOWN)
	case !a.IsUnspecified() && !slices.Contains(h.cfg.Addrs, a):
		return nil, opError(op, "bind", local, remote, syscall.EADDRNOTAVAIL)
	}
	port := local.Port()
	if port == 0 {
		var ok bool
		if port, ok = h.ephemeralLocked(); !ok {
			return nil, opError(op, "bind", local, remote, syscall.EADDRINUSE)
		}
	}
	c := newConn(h, netip.AddrPortFrom(a, port), remote)
	if h.boundLocked(c) {
		return nil, opError(op, "bind", local, remote, syscall.EADDRINUSE)
	}
	h.ports[port] = append(h.ports[port], c)
	return c, nil
}

// ephemeralLocked returns the next free ephemeral port.
func (h *Host) ephemeralLocked() (uint16, bool) {
	for range ephemeralLast - ephemeralFirst + 1 {
		p := uint16(h.nextPort)
		if h.nextPort++; h.nextPort > ephemeralLast {
			h.nextPort = ephemeralFirst
		}
		if len(h.ports[p]) == 0 {
			return p, true
		}
	}
	return 0, false
}

// boundLocked reports whether a socket already bound to c's port has an
// address that overlaps c's, so that c cannot bind.
func (h *Host) boundLocked(c *Conn) bool {
	for _, o := range h.ports[c.local.Port()] {
		if o.accepts(c.local.Addr()) || c.accepts(o.local.Addr()) {
			return true
		}
	}
	return false
}

// sourceLocked returns the host's first address of dst's family.
func (h *Host) sourceLocked(dst netip.Addr) (netip.Addr, bool) {
	for _, a := range h.cfg.Addrs {
		if a.Is4() == dst.Unmap().Is4() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// lookupLocked returns the socket that receives a datagram from remote to
// local, as the kernel picks it: a socket connected to remote before one
// that is not, an exact local address before a wildcard; nil if there is
// none.
func (h *Host) lookupLocked(local, remote netip.AddrPort) *Conn {
	var best *Conn
	bestScore := 0
	for _, c := range h.ports[local.Port()] {
		if !c.accepts(local.Addr()) || c.peer.IsValid() && c.peer != remote {
			continue
		}
		score := 1
		if c.local.Addr() == local.Addr() {
			score++
		}
		if c.peer.IsValid() {
			score += 2
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

// unbindLocked removes c from the host's ports.
func (h *Host) unbindLocked(c *Conn) {
	p := c.local.Port()
	h.ports[p] = slices.DeleteFunc(h.ports[p], func(o *Conn) bool { return o == c })
	if len(h.ports[p]) == 0 {
		delete(h.ports, p)
	}
}
