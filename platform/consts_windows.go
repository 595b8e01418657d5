//go:build windows

package platform

// Socket options that golang.org/x/sys/windows does not define, with their
// values from the Windows SDK header ws2ipdef.h.
const (
	ipDontFragment = 14 // IP_DONTFRAGMENT, level IPPROTO_IP
	ipv6DontFrag   = 14 // IPV6_DONTFRAG, level IPPROTO_IPV6
	ipMTU          = 73 // IP_MTU, level IPPROTO_IP: path MTU of a connected socket
	ipv6MTU        = 72 // IPV6_MTU, level IPPROTO_IPV6: path MTU of a connected socket
)
