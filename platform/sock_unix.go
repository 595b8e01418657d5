//go:build unix

package platform

import "golang.org/x/sys/unix"

// sockInfoOf reads the socket's address family and, for IPv6, whether it is
// dual-stack.
func sockInfoOf(fd uintptr, network string) (sockInfo, error) {
	var (
		s   sockInfo
		err error
	)
	// A socket that cannot name itself is left to the network name.
	sa, _ := unix.Getsockname(int(fd))
	switch sa.(type) {
	case *unix.SockaddrInet4:
	case *unix.SockaddrInet6:
		s.ipv6 = true
	default:
		if s, err = familyFromNetwork(network); err != nil {
			return s, err
		}
	}
	if s.ipv6 {
		v6only, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		if err != nil {
			return s, sockoptError("getsockopt", "IPV6_V6ONLY", err)
		}
		s.dual = v6only == 0
	}
	return s, nil
}
