//go:build darwin

package platform

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"
)

// setDF sets IP_DONTFRAG on IPv4 sockets and IPV6_DONTFRAG on IPv6 sockets.
// Both only set the bit: the kernel still refuses sends above its cached
// path MTU, so a probe request gives DFDo. On a dual-stack socket only
// IPV6_DONTFRAG applies, and it covers IPv4 traffic from macOS 15 (Darwin
// 24) on; before that DualStackDF is reported false.
func setDF(fd uintptr, s sockInfo, mode DFMode) (dfResult, error) {
	on, got, err := dontFragValue(mode)
	if err != nil {
		return dfResult{}, err
	}
	if !s.ipv6 {
		if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_DONTFRAG, on); err != nil {
			return dfResult{}, sockoptError("setsockopt", "IP_DONTFRAG", err)
		}
		return dfResult{mode: got}, nil
	}
	if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG, on); err != nil {
		return dfResult{}, sockoptError("setsockopt", "IPV6_DONTFRAG", err)
	}
	return dfResult{mode: got, dualStack: s.dual && darwinMajor() >= 24}, nil
}

// darwinMajor returns the major version of the Darwin kernel, or 0.
func darwinMajor() int {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return 0
	}
	release, _, _ := bytes.Cut(u.Release[:], []byte("."))
	major, err := strconv.Atoi(string(release))
	if err != nil {
		return 0
	}
	return major
}
