//go:build linux

package platform

import (
	"errors"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// The route lookups speak rtnetlink (RFC 3549; rtnetlink(7)): requests are
// built and replies parsed here, in the host's byte order, with nothing
// left over. The socket that carries them is in route_linux.go.

// rtextFilterSkipStats is RTEXT_FILTER_SKIP_STATS of the kernel's
// include/uapi/linux/rtnetlink.h, which golang.org/x/sys lacks: given in
// IFLA_EXT_MASK, it leaves the counters out of a link reply. Kernels that
// predate it ignore the bit.
const rtextFilterSkipStats = 1 << 3

// errMalformedReply reports a netlink reply that does not parse. It is
// only returned wrapped in an error that says what was asked, which
// carries the package's prefix.
var errMalformedReply = errors.New("malformed reply")

// An nlMessage is one netlink message (RFC 3549 section 2.3.2): the fields
// of its header and its body.
type nlMessage struct {
	typ, flags uint16
	seq, pid   uint32
	body       []byte
}

// A routeInfo is what a route lookup needs from an RTM_NEWROUTE message:
// the route's MTU metric (RTAX_MTU) and its output interface (RTA_OIF),
// each 0 if the route has none.
type routeInfo struct {
	mtu, oif uint32
}

// appendRouteRequest appends to b an RTM_GETROUTE request numbered seq for
// the route to dst, an unmapped address, with the rtmsg flags rtmFlags.
// RTM_F_FIB_MATCH asks for the routing-table entry as configured, rather
// than the route a datagram would take, which may carry a path MTU learned
// from ICMP.
func appendRouteRequest(b []byte, dst netip.Addr, seq, rtmFlags uint32) []byte {
	addr := dst.AsSlice()
	family := uint8(unix.AF_INET)
	if dst.Is6() {
		family = unix.AF_INET6
	}
	attrLen := unix.SizeofRtAttr + len(addr)
	total := unix.SizeofNlMsghdr + unix.SizeofRtMsg + attrLen
	b = appendStruct(b, unix.NlMsghdr{Len: uint32(total), Type: unix.RTM_GETROUTE, Flags: unix.NLM_F_REQUEST, Seq: seq})
	b = appendStruct(b, unix.RtMsg{Family: family, Dst_len: uint8(8 * len(addr)), Flags: rtmFlags})
	b = appendStruct(b, unix.RtAttr{Len: uint16(attrLen), Type: unix.RTA_DST})
	return append(b, addr...)
}

// appendLinkRequest appends to b an RTM_GETLINK request numbered seq for
// the interface numbered index, without its counters: the kernel answers
// with that one interface, where package net would list them all.
func appendLinkRequest(b []byte, index, seq uint32) []byte {
	const attrLen = unix.SizeofRtAttr + 4
	const total = unix.SizeofNlMsghdr + unix.SizeofIfInfomsg + attrLen
	b = appendStruct(b, unix.NlMsghdr{Len: total, Type: unix.RTM_GETLINK, Flags: unix.NLM_F_REQUEST, Seq: seq})
	b = appendStruct(b, unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(index)})
	b = appendStruct(b, unix.RtAttr{Len: attrLen, Type: unix.IFLA_EXT_MASK})
	return appendStruct(b, uint32(rtextFilterSkipStats))
}

// splitMessage takes the first netlink message off b, a datagram or what
// is left of one, and returns it and the rest of b. ok is false unless b
// starts with a header whose length covers the header and fits in b,
// followed by the padding to the next 4-byte boundary, which only the last
// message may leave out.
func splitMessage(b []byte) (m nlMessage, rest []byte, ok bool) {
	h, _, ok := decodeStruct[unix.NlMsghdr](b)
	if !ok || h.Len < unix.SizeofNlMsghdr || uint64(h.Len) > uint64(len(b)) {
		return nlMessage{}, nil, false
	}
	m = nlMessage{typ: h.Type, flags: h.Flags, seq: h.Seq, pid: h.Pid, body: b[unix.SizeofNlMsghdr:h.Len]}
	rest, ok = afterPadding(b, int(h.Len), unix.NLMSG_ALIGNTO)
	return m, rest, ok
}

// replyTo returns the message of the datagram b that answers the request
// numbered seq of the netlink port port, if there is one: the first whose
// header carries both. ok is false if b is empty or not a sequence of
// well-formed messages.
func replyTo(b []byte, seq, port uint32) (m nlMessage, found, ok bool) {
	if len(b) == 0 {
		return nlMessage{}, false, false
	}
	for len(b) > 0 {
		var msg nlMessage
		if msg, b, ok = splitMessage(b); !ok {
			return nlMessage{}, false, false
		}
		if !found && msg.seq == seq && msg.pid == port {
			m, found = msg, true
		}
	}
	return m, found, true
}

// answer returns the body of m, the reply to a request that expects a
// message of type want, or the error the kernel answered with: an errno,
// or errMalformedReply if m is neither. An acknowledgement (an NLMSG_ERROR
// of error 0) answers only a request that asked for one (NLM_F_ACK, want
// NLMSG_ERROR): its body is then the answer.
func answer(m nlMessage, want uint16) ([]byte, error) {
	if m.typ != unix.NLMSG_ERROR {
		if m.typ == want {
			return m.body, nil
		}
		return nil, errMalformedReply
	}
	// The error, the request's header and, unless NETLINK_CAP_ACK is set,
	// the request's body, then any extended acknowledgement attributes:
	// only the first two are read.
	e, _, ok := decodeStruct[unix.NlMsgerr](m.body)
	switch {
	case !ok || e.Error > 0 || e.Error < -maxErrno || e.Msg.Seq != m.seq:
		return nil, errMalformedReply
	case e.Error < 0:
		return nil, syscall.Errno(-e.Error)
	case want == unix.NLMSG_ERROR:
		return m.body, nil
	}
	return nil, errMalformedReply
}

// maxErrno is the largest error number the kernel returns (MAX_ERRNO of
// include/linux/err.h).
const maxErrno = 4095

// parseRoute reads an RTM_NEWROUTE body of the address family family: an
// rtmsg and its attributes (rtnetlink(7)). It refuses a body that is
// malformed, of another family, or with a repeated or mis-sized output
// interface or MTU.
func parseRoute(body []byte, family uint8) (routeInfo, bool) {
	rtm, attrs, ok := decodeStruct[unix.RtMsg](body)
	if !ok || rtm.Family != family {
		return routeInfo{}, false
	}
	var info routeInfo
	var seenOIF, seenMetrics, seenMTU bool
	ok = forAttrs(attrs, func(typ uint16, v []byte) bool {
		switch typ {
		case unix.RTA_OIF:
			return once(&seenOIF) && readUint32(v, &info.oif)
		case unix.RTA_METRICS:
			return once(&seenMetrics) && forAttrs(v, func(typ uint16, v []byte) bool {
				return typ != unix.RTAX_MTU || once(&seenMTU) && readUint32(v, &info.mtu)
			})
		}
		return true
	})
	return info, ok
}

// parseLink reads the MTU (IFLA_MTU) from an RTM_NEWLINK body, an
// ifinfomsg and its attributes, about the interface numbered index. It
// refuses a body that is malformed, about another interface, or with no
// MTU or more than one.
func parseLink(body []byte, index uint32) (mtu uint32, ok bool) {
	ifi, attrs, ok := decodeStruct[unix.IfInfomsg](body)
	if !ok || uint32(ifi.Index) != index {
		return 0, false
	}
	var seen bool
	ok = forAttrs(attrs, func(typ uint16, v []byte) bool {
		return typ != unix.IFLA_MTU || once(&seen) && readUint32(v, &mtu)
	})
	return mtu, ok && seen
}

// forAttrs calls fn with the type, without its flags, and the value of
// each attribute in b (RFC 3549 section 2.3.2.1), in order, while fn
// returns true. It reports whether b is a sequence of well-formed
// attributes, each padded to 4 bytes but the last, and fn accepted all.
func forAttrs(b []byte, fn func(typ uint16, v []byte) bool) bool {
	for len(b) > 0 {
		h, _, ok := decodeStruct[unix.RtAttr](b)
		if !ok || int(h.Len) < unix.SizeofRtAttr || int(h.Len) > len(b) {
			return false
		}
		if !fn(h.Type&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER), b[unix.SizeofRtAttr:h.Len]) {
			return false
		}
		if b, ok = afterPadding(b, int(h.Len), unix.RTA_ALIGNTO); !ok {
			return false
		}
	}
	return true
}

// afterPadding returns what follows an item of n bytes at the start of b
// and its padding to a multiple of align bytes, a power of two. The
// padding may be left out only where b ends with the item.
func afterPadding(b []byte, n, align int) ([]byte, bool) {
	end := (n + align - 1) &^ (align - 1)
	switch {
	case end <= len(b):
		return b[end:], true
	case n == len(b):
		return nil, true
	}
	return nil, false
}

// readUint32 stores v, exactly four bytes in the host's order, in x.
func readUint32(v []byte, x *uint32) bool {
	if len(v) != 4 {
		return false
	}
	*x, _, _ = decodeStruct[uint32](v)
	return true
}

// once reports whether *seen was false, and sets it: a parser's way to
// refuse an attribute that appears twice.
func once(seen *bool) bool {
	first := !*seen
	*seen = true
	return first
}
