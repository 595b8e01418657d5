//go:build !linux

package platform

import "net/netip"

// routeMTU reports that there is no routing-table query here: RouteMTU
// falls back to the interface MTU.
func routeMTU(netip.Addr) (int, error) {
	return 0, ErrUnsupported
}
