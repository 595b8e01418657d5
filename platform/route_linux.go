//go:build linux

package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// routeMTU asks the kernel, over an rtnetlink socket, for the routing-table
// entry that matches dst (RTM_GETROUTE with RTM_F_FIB_MATCH, so that the
// answer is the route as configured and not a cached exception holding a
// path MTU learned from ICMP), and returns the MTU set on that route or
// else the MTU of its output interface.
func routeMTU(dst netip.Addr) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, routeRequest(dst.Unmap()), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, os.NewSyscallError("sendto", err)
	}
	// The kernel answers a route request while handling the send, so the
	// reply is already queued.
	buf := make([]byte, os.Getpagesize())
	n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
	if err != nil {
		return 0, os.NewSyscallError("recvfrom", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return 0, fmt.Errorf("dtls: platform: parsing the route reply: %w", err)
	}
	for _, m := range msgs {
		switch m.Header.Type {
		case unix.NLMSG_ERROR:
			if e, _, ok := decodeStruct[unix.NlMsgerr](m.Data); ok && e.Error < 0 {
				return 0, fmt.Errorf("dtls: platform: route to %v: %w", dst, syscall.Errno(-e.Error))
			}
		case unix.RTM_NEWROUTE:
			return mtuOfRoute(m.Data)
		}
	}
	return 0, errors.New("dtls: platform: no route in the kernel's reply")
}

// routeRequest builds an RTM_GETROUTE request for dst.
func routeRequest(dst netip.Addr) []byte {
	addr := dst.AsSlice()
	family := uint8(unix.AF_INET)
	if dst.Is6() {
		family = unix.AF_INET6
	}
	attrLen := unix.SizeofRtAttr + len(addr)
	total := unix.SizeofNlMsghdr + unix.SizeofRtMsg + attrLen
	b := make([]byte, 0, total)
	b = appendStruct(b, unix.NlMsghdr{Len: uint32(total), Type: unix.RTM_GETROUTE, Flags: unix.NLM_F_REQUEST, Seq: 1})
	b = appendStruct(b, unix.RtMsg{Family: family, Dst_len: uint8(8 * len(addr)), Flags: unix.RTM_F_FIB_MATCH})
	b = appendStruct(b, unix.RtAttr{Len: uint16(attrLen), Type: unix.RTA_DST})
	return append(b, addr...)
}

// mtuOfRoute returns the MTU of the route in the body of an RTM_NEWROUTE
// message: its RTAX_MTU metric if it has one, else the MTU of its output
// interface. A multipath route has no single output interface.
func mtuOfRoute(body []byte) (int, error) {
	if len(body) < unix.SizeofRtMsg {
		return 0, errors.New("dtls: platform: short route message")
	}
	var oif, mtu uint32
	walkRtAttrs(body[unix.SizeofRtMsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.RTA_OIF:
			oif, _, _ = decodeStruct[uint32](v)
		case unix.RTA_METRICS:
			walkRtAttrs(v, func(typ uint16, v []byte) {
				if typ == unix.RTAX_MTU {
					mtu, _, _ = decodeStruct[uint32](v)
				}
			})
		}
	})
	if mtu != 0 {
		return int(mtu), nil
	}
	if oif == 0 {
		return 0, errors.New("dtls: platform: the route has no single output interface")
	}
	ifi, err := net.InterfaceByIndex(int(oif))
	if err != nil {
		return 0, fmt.Errorf("dtls: platform: the route's interface: %w", err)
	}
	return ifi.MTU, nil
}

// walkRtAttrs calls fn with the type and value of each routing attribute in
// b, stopping at the first malformed one.
func walkRtAttrs(b []byte, fn func(typ uint16, v []byte)) {
	for {
		h, _, ok := decodeStruct[unix.RtAttr](b)
		if !ok || int(h.Len) < unix.SizeofRtAttr || int(h.Len) > len(b) {
			return
		}
		fn(h.Type&^unix.NLA_F_NESTED, b[unix.SizeofRtAttr:h.Len])
		b = b[min(rtaAlign(int(h.Len)), len(b)):]
	}
}

// rtaAlign rounds n up to the 4-byte alignment of routing attributes.
func rtaAlign(n int) int {
	return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1)
}
