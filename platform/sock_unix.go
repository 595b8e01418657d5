//go:build unix

package platform

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sockInfoOf reads the socket's address family and, for IPv6, whether it is
// dual-stack.
func sockInfoOf(fd uintptr, network string) (sockInfo, error) {
	var (
		s   sockInfo
		err error
	)
	// A socket that cannot name itself is left to the network name. The
	// standard library's Getsockname makes one system call, where the
	// x/sys one asks an IPv4 socket its protocol as well.
	sa, _ := syscall.Getsockname(int(fd))
	switch sa.(type) {
	case *syscall.SockaddrInet4:
	case *syscall.SockaddrInet6:
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
