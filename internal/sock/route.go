package sock

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/platform"
)

// Bounds of a routeCache: how many destinations it holds, and how long it
// trusts what it read (a route or an interface MTU may change).
const (
	routeCacheMax = 256
	routeCacheTTL = 5 * time.Minute
	ownRouteTTL   = time.Second // for the route of a connected socket, which costs little to read
)

// A routeCache reads the route MTU of each destination once in a while, for
// a socket whose interfaces allow at most bound bytes. It is safe for
// concurrent use.
type routeCache struct {
	bound  int                   // the MTU of the socket's own interfaces, or 0 if unknown
	reader *platform.RouteReader // the socket's namespace's, or nil for platform.RouteMTU

	// For a connected socket whose kernel answers it, the path MTU of
	// the socket's own route (platform.PathMTU), read at most every
	// ownRouteTTL: a system call, and no routing socket.
	peer    netip.Addr
	own     func() (int, error)
	ownLast routeEntry // guarded by mu

	mu   sync.Mutex
	mtus map[netip.Addr]routeEntry
}

// A routeEntry is a route MTU and when it was read.
type routeEntry struct {
	mtu int
	at  time.Time
}

// lookup returns the route MTU of dst, bounded by c.bound. If the route
// cannot be read, it returns the bound if that is known.
func (c *routeCache) lookup(dst netip.Addr) (int, error) {
	dst = dst.Unmap()
	now := time.Now()
	if c.own != nil && dst == c.peer {
		return c.lookupOwn(now)
	}
	c.mu.Lock()
	e, ok := c.mtus[dst]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < routeCacheTTL {
		return e.mtu, nil
	}
	mtu, err := c.read(dst)
	if err != nil || mtu <= 0 {
		if c.bound > 0 {
			return c.bound, nil
		}
		if err == nil {
			err = errors.New("dtls: sock: the route has no MTU")
		}
		return 0, err
	}
	if c.bound > 0 {
		mtu = min(mtu, c.bound)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mtus == nil || len(c.mtus) >= routeCacheMax {
		c.mtus = make(map[netip.Addr]routeEntry)
	}
	c.mtus[dst] = routeEntry{mtu: mtu, at: now}
	return mtu, nil
}

// lookupOwn returns the path MTU of the connected socket's route, read
// again if what it last read is older than ownRouteTTL. If the kernel has
// no route for the socket just now (a route that changed is looked up
// again at the next send), it returns what it last read.
func (c *routeCache) lookupOwn(now time.Time) (int, error) {
	c.mu.Lock()
	last := c.ownLast
	c.mu.Unlock()
	if last.mtu > 0 && now.Sub(last.at) < ownRouteTTL {
		return last.mtu, nil
	}
	mtu, err := c.own()
	switch {
	case err == nil && mtu > 0:
	case last.mtu > 0:
		return last.mtu, nil
	case err == nil:
		return 0, errors.New("dtls: sock: the route has no MTU")
	default:
		return 0, err
	}
	if c.bound > 0 {
		mtu = min(mtu, c.bound)
	}
	c.mu.Lock()
	c.ownLast = routeEntry{mtu: mtu, at: now}
	c.mu.Unlock()
	return mtu, nil
}

// read reads the route MTU of dst, through c.reader if c has one.
func (c *routeCache) read(dst netip.Addr) (int, error) {
	if c.reader != nil {
		return c.reader.RouteMTU(dst)
	}
	return platform.RouteMTU(dst)
}

// interfaceMTU returns the largest MTU a datagram from a socket bound to
// local can leave with: the MTU of the interface that holds local or, for
// an unspecified address, the largest MTU of the interfaces other than
// loopback that are up. It returns 0 if it cannot tell.
//
// The route reader answers in the socket's network namespace, but where
// it falls back to the interfaces of the thread that asks (systems
// without a routing socket), or was made on a thread in another namespace
// than the socket's (FromPacketConn), the routes read may not be those
// the kernel uses for the socket; this bound, read when the socket is
// opened, keeps such an estimate from exceeding what the socket's own
// interfaces can send.
func interfaceMTU(local netip.Addr) int {
	ifs, err := net.Interfaces()
	if err != nil {
		return 0
	}
	largest := 0
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 {
			continue
		}
		if local.IsUnspecified() && ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		if !local.IsUnspecified() && !hasAddr(&ifi, local) {
			continue
		}
		largest = max(largest, ifi.MTU)
	}
	return largest
}

// hasAddr reports whether ifi holds the address a.
func hasAddr(ifi *net.Interface, a netip.Addr) bool {
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, ad := range addrs {
		if pfx, err := netip.ParsePrefix(ad.String()); err == nil && pfx.Addr().Unmap() == a.Unmap().WithZone("") {
			return true
		}
	}
	return false
}

// ipOverhead returns the bytes of IP and UDP header a datagram to dst
// carries, without options or extension headers.
func ipOverhead(dst netip.Addr) int {
	if dst.Unmap().Is4() {
		return 20 + 8
	}
	return 40 + 8
}
