//go:build windows

package platform

import "golang.org/x/sys/windows"

// pathMTUSupported says whether getPathMTU can work here.
const pathMTUSupported = true

// getPathMTU reads IP_MTU or IPV6_MTU, which Windows answers for connected
// sockets.
func getPathMTU(fd uintptr, s sockInfo) (int, error) {
	level, opt, name := windows.IPPROTO_IP, ipMTU, "IP_MTU"
	if s.ipv6 {
		level, opt, name = windows.IPPROTO_IPV6, ipv6MTU, "IPV6_MTU"
	}
	mtu, err := windows.GetsockoptInt(windows.Handle(fd), level, opt)
	if err != nil {
		return 0, sockoptError("getsockopt", name, err)
	}
	return mtu, nil
}
