//go:build windows

package platform

import "golang.org/x/sys/windows"

// sockInfoOf reads the socket's address family and, for IPv6, whether it is
// dual-stack. A socket not yet bound cannot tell its family on Windows, so
// the network name decides.
func sockInfoOf(fd uintptr, network string) (sockInfo, error) {
	var (
		s   sockInfo
		err error
	)
	// A socket that cannot name itself is left to the network name.
	sa, _ := windows.Getsockname(windows.Handle(fd))
	switch sa.(type) {
	case *windows.SockaddrInet4:
	case *windows.SockaddrInet6:
		s.ipv6 = true
	default:
		if s, err = familyFromNetwork(network); err != nil {
			return s, err
		}
	}
	if s.ipv6 {
		v6only, err := windows.GetsockoptInt(windows.Handle(fd), windows.IPPROTO_IPV6, windows.IPV6_V6ONLY)
		if err != nil {
			return s, sockoptError("getsockopt", "IPV6_V6ONLY", err)
		}
		s.dual = v6only == 0
	}
	return s, nil
}
