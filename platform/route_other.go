//go:build !linux

package platform

import "net/netip"

// A routeSocket would be the routing socket of a network namespace; this
// system has none, and RouteReaders fall back to the interface MTU.
type routeSocket struct{}

// acquireRouteSocket returns nil: there is no routing socket here.
func acquireRouteSocket() *routeSocket { return nil }

// release does nothing.
func (*routeSocket) release() {}

// routeMTU returns errNoRouteSocket.
func (*routeSocket) routeMTU(netip.Addr) (int, error) { return 0, errNoRouteSocket }
