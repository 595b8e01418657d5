//go:build linux

package platform

import "golang.org/x/sys/unix"

// setRecvErr turns on IP_RECVERR or IPV6_RECVERR, and both on a dual-stack
// socket: the kernel queues an ICMPv4 error on an IPv6 socket only when its
// IPv4 option is on.
func setRecvErr(fd uintptr, s sockInfo) error {
	if s.ipv6 {
		if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1); err != nil {
			return sockoptError("setsockopt", "IPV6_RECVERR", err)
		}
		if !s.dual {
			return nil
		}
	}
	if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1); err != nil {
		return sockoptError("setsockopt", "IP_RECVERR", err)
	}
	return nil
}
