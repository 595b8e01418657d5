//go:build linux

package platform

import "golang.org/x/sys/unix"

// pathMTUSupported says whether getPathMTU can work here.
const pathMTUSupported = true

// getPathMTU reads IP_MTU or IPV6_MTU, which the kernel answers for
// connected sockets only (ENOTCONN otherwise). An IPv6 socket answers
// IPV6_MTU for an IPv4-mapped destination too.
func getPathMTU(fd uintptr, s sockInfo) (int, error) {
	level, opt, name := unix.IPPROTO_IP, unix.IP_MTU, "IP_MTU"
	if s.ipv6 {
		level, opt, name = unix.IPPROTO_IPV6, unix.IPV6_MTU, "IPV6_MTU"
	}
	mtu, err := unix.GetsockoptInt(int(fd), level, opt)
	if err != nil {
		return 0, sockoptError("getsockopt", name, err)
	}
	return mtu, nil
}
