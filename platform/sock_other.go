//go:build !unix && !windows

package platform

// sockInfoOf takes the socket's address family from the network name: no
// option this package sets exists here, so nothing more is needed.
func sockInfoOf(_ uintptr, network string) (sockInfo, error) {
	return familyFromNetwork(network)
}
