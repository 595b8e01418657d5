//go:build freebsd

package platform

import "golang.org/x/sys/unix"

// setDF sets IP_DONTFRAG on IPv4 sockets and IPV6_DONTFRAG on IPv6 sockets.
// Both only set the bit: the kernel still refuses sends above its cached
// path MTU, so a probe request gives DFDo. On a dual-stack socket it also
// tries IP_DONTFRAG and reports in DualStackDF whether it was accepted.
func setDF(fd uintptr, s sockInfo, mode DFMode) (dfResult, error) {
	on, got, err := dontFragValue(mode)
	if err != nil {
		return dfResult{}, err
	}
	if s.ipv6 {
		if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG, on); err != nil {
			return dfResult{}, sockoptError("setsockopt", "IPV6_DONTFRAG", err)
		}
		if !s.dual {
			return dfResult{mode: got}, nil
		}
		// Best effort: reported in DualStackDF.
		err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_DONTFRAG, on)
		return dfResult{mode: got, dualStack: err == nil}, nil
	}
	if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_DONTFRAG, on); err != nil {
		return dfResult{}, sockoptError("setsockopt", "IP_DONTFRAG", err)
	}
	return dfResult{mode: got}, nil
}
