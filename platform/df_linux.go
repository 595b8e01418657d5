//go:build linux

package platform

import "golang.org/x/sys/unix"

// pmtudisc maps a mode to Linux's IP_MTU_DISCOVER and IPV6_MTU_DISCOVER
// values, which are the same for both options (include/uapi/linux/in.h and
// in6.h).
var pmtudisc = [...]int{
	DFProbe: unix.IP_PMTUDISC_PROBE,
	DFDo:    unix.IP_PMTUDISC_DO,
	DFDont:  unix.IP_PMTUDISC_DONT,
}

// setDF sets IP_MTU_DISCOVER on IPv4 sockets, IPV6_MTU_DISCOVER on IPv6
// sockets, and both on dual-stack sockets, whose IPv4 traffic follows the
// IPv4 option.
func setDF(fd uintptr, s sockInfo, mode DFMode) (dfResult, error) {
	if int(mode) >= len(pmtudisc) {
		return dfResult{}, errBadMode(mode)
	}
	v := pmtudisc[mode]
	if s.ipv6 {
		if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, v); err != nil {
			return dfResult{}, sockoptError("setsockopt", "IPV6_MTU_DISCOVER", err)
		}
		if !s.dual {
			return dfResult{mode: mode}, nil
		}
	}
	if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, v); err != nil {
		return dfResult{}, sockoptError("setsockopt", "IP_MTU_DISCOVER", err)
	}
	return dfResult{mode: mode, dualStack: s.dual}, nil
}
