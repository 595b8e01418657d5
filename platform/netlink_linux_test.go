package platform

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// capturedPort is the netlink port ID of the socket that read
// capturedReplies.
const capturedPort = 27843

// capturedReplies are datagrams a routeSocket read on Linux 6.18, amd64,
// in a namespace whose loopback interface has MTU 9000 and a route
// 10.9.0.0/16 on it with MTU 1300; seq is the request's number.
var capturedReplies = []struct {
	name string
	seq  uint32
	hex  string
}{
	{"route/127.0.0.1", 1, "3c0000001800000001000000c36c000002200000fe02fe020000000008000f00fe000000080001007f000001080007007f0000010800040001000000"},
	{"route/::1", 2, "740000001800000002000000c36c00000a800000ff0200020000000008000f00ff00000014000100000000000000000000000000000000010800060000000000080004000100000024000c0000000000000000000000000000000000000000000000000000000000000000000500140000000000"},
	{"route-taken/127.0.0.1", 3, "680000001800000003000000c36c000002200000fe0000020002008008000f00fe000000080001007f0000010800040001000000080007007f000001080019000000000024000c000200000000000000000000000000000000000000000000000000000000000000"},
	{"route/192.0.2.1", 4, "240000000200000104000000c36c00009bffffff240000001a0001000400000000000000"},
	{"route/10.9.1.2", 5, "400000001800000005000000c36c000002100000fe04fd010000000008000f00fe000000080001000a0900000c00080008000200140500000800040001000000"},
	{"route/2001:db8::1", 6, "240000000200000106000000c36c00009bffffff300000001a0001000600000000000000"},
	{"link/1", 50, "4c0400001000000032000000c36c000000000403010000004900010000000000070003006c6f000008000d00e803000005001000000000000500110000000000050043000100000008000400282300000800320000000000080033000000000008001b000000000008001e000000000008003d000000000008001f000100000008002800ffff0000080029000000010008003a000000010008003f0000000100080040000000010008003b00f8ff070008003c00ffff0000080042000000000008002000010000000500210001000000080023000000000008002f000000000008003000000000000600440000000000060045000000000005002700000000000a00010000000000000000000a0002000000000000000000cc0017000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000640007000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c002b0005000200000000000c0006006e6f717565756500c0011a008c00020088000100000000000000000000000000010000000100000001000000010000000000000001000000000000000000000000000000000000000000000001000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000010270000e8030000000000000000000000000000000000000100000030010a00080001000000008014000500ffff000082350d00a46f0000e8030000f400020000000000400000002823000001000000010000000100000001000000ffffffffa00f0000e8030000ffffffff803a0900805101000300000058020000100000000000000001000000010000000100000060ea0000000000000000000000000000000000000000000000000000ffffffff000000000000000010270000e8030000010000000000000000000000010000000000000000000000010000000000000000000000000000000000000080ee360000000000000000000100000000000000000000000000000000000000000000000004000000000000ffff0000ffffffff010000000000000000000000000000001400070000000000000000000000000000000000050008000000000024000e00000000000000000000000000000000000000000000000000000000000000000004003e8004004180"},
	{"link/77", 51, "240000000200000133000000c36c0000edffffff28000000120001003300000000000000"},
	{"ack", 100, "240000000200000164000000c36c00000000000038000000180005066400000000000000"},
}

// captured returns the captured reply called name, and its request's
// number.
func captured(t testing.TB, name string) ([]byte, uint32) {
	t.Helper()
	for _, c := range capturedReplies {
		if c.name == name {
			return mustHex(t, c.hex), c.seq
		}
	}
	t.Fatalf("no captured reply %q", name)
	return nil, 0
}

func TestRouteRequest(t *testing.T) {
	skipBigEndian(t)
	for _, tc := range []struct {
		dst   string
		seq   uint32
		flags uint32
		hex   string
	}{
		// nlmsghdr (length, RTM_GETROUTE, NLM_F_REQUEST, seq, pid 0),
		// rtmsg (family, dst_len, RTM_F_FIB_MATCH), RTA_DST.
		{"127.0.0.1", 1, unix.RTM_F_FIB_MATCH, "24000000" + "1a00" + "0100" + "01000000" + "00000000" +
			"02200000" + "00000000" + "00200000" + "08000100" + "7f000001"},
		{"::1", 7, 0, "30000000" + "1a00" + "0100" + "07000000" + "00000000" +
			"0a800000" + "00000000" + "00000000" + "14000100" + "00000000000000000000000000000001"},
	} {
		got := appendRouteRequest(nil, netip.MustParseAddr(tc.dst), tc.seq, tc.flags)
		if want := mustHex(t, tc.hex); !bytes.Equal(got, want) {
			t.Errorf("route request for %s:\n got %x\nwant %x", tc.dst, got, want)
		}
		checkRequest(t, got, unix.RTM_GETROUTE, tc.seq)
	}
}

func TestLinkRequest(t *testing.T) {
	skipBigEndian(t)
	got := appendLinkRequest([]byte("x"), 3, 9)
	// nlmsghdr, ifinfomsg (AF_UNSPEC, index 3), IFLA_EXT_MASK of
	// RTEXT_FILTER_SKIP_STATS.
	want := mustHex(t, "78"+"28000000"+"1200"+"0100"+"09000000"+"00000000"+
		"00000000"+"03000000"+"00000000"+"00000000"+"08001d00"+"08000000")
	if !bytes.Equal(got, want) {
		t.Fatalf("link request:\n got %x\nwant %x", got, want)
	}
	checkRequest(t, got[1:], unix.RTM_GETLINK, 9)
}

// checkRequest checks that b is one well-formed message of type typ,
// numbered seq, whose attributes parse.
func checkRequest(t *testing.T, b []byte, typ uint16, seq uint32) {
	t.Helper()
	m, found, ok := replyTo(b, seq, 0)
	if !ok || !found || m.typ != typ || m.flags != unix.NLM_F_REQUEST {
		t.Fatalf("request %x: %+v, found %v, ok %v", b, m, found, ok)
	}
	head := unix.SizeofRtMsg
	if typ == unix.RTM_GETLINK {
		head = unix.SizeofIfInfomsg
	}
	if !forAttrs(m.body[head:], func(uint16, []byte) bool { return true }) {
		t.Errorf("request %x: malformed attributes", b)
	}
}

func TestParseReplies(t *testing.T) {
	skipBigEndian(t)
	for _, tc := range []struct {
		name   string
		want   uint16 // the message type asked for
		family uint8  // for a route
		index  uint32 // for a link
		info   routeInfo
		mtu    uint32
		err    error
	}{
		{name: "route/127.0.0.1", want: unix.RTM_NEWROUTE, family: unix.AF_INET, info: routeInfo{oif: 1}},
		{name: "route/::1", want: unix.RTM_NEWROUTE, family: unix.AF_INET6, info: routeInfo{oif: 1}},
		{name: "route-taken/127.0.0.1", want: unix.RTM_NEWROUTE, family: unix.AF_INET, info: routeInfo{oif: 1}},
		{name: "route/10.9.1.2", want: unix.RTM_NEWROUTE, family: unix.AF_INET, info: routeInfo{oif: 1, mtu: 1300}},
		{name: "route/192.0.2.1", want: unix.RTM_NEWROUTE, err: unix.ENETUNREACH},
		{name: "route/2001:db8::1", want: unix.RTM_NEWROUTE, err: unix.ENETUNREACH},
		{name: "link/1", want: unix.RTM_NEWLINK, index: 1, mtu: 9000},
		{name: "link/77", want: unix.RTM_NEWLINK, err: unix.ENODEV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, seq := captured(t, tc.name)
			m, found, ok := replyTo(b, seq, capturedPort)
			if !ok || !found {
				t.Fatalf("replyTo: found %v, ok %v", found, ok)
			}
			body, err := answer(m, tc.want)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("answer: %v; want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == unix.RTM_NEWLINK {
				if mtu, ok := parseLink(body, tc.index); !ok || mtu != tc.mtu {
					t.Errorf("parseLink = %d, %v; want %d", mtu, ok, tc.mtu)
				}
			} else if info, ok := parseRoute(body, tc.family); !ok || info != tc.info {
				t.Errorf("parseRoute = %+v, %v; want %+v", info, ok, tc.info)
			}
			// No prefix is a datagram.
			for n := range len(b) {
				if _, _, ok := replyTo(b[:n], seq, capturedPort); ok {
					t.Fatalf("%d-byte prefix parsed", n)
				}
			}
		})
	}
}

func TestParseRepliesOther(t *testing.T) {
	skipBigEndian(t)
	route, seq := captured(t, "route/127.0.0.1")
	// Another request's reply, or another port's, is not this one's.
	if _, found, ok := replyTo(route, seq+1, capturedPort); !ok || found {
		t.Errorf("reply to another request: found %v, ok %v", found, ok)
	}
	if _, found, ok := replyTo(route, seq, capturedPort+1); !ok || found {
		t.Errorf("reply to another port: found %v, ok %v", found, ok)
	}
	// A stale reply, then this one's, in one datagram.
	stale, _ := captured(t, "route/::1")
	if m, found, ok := replyTo(append(stale, route...), seq, capturedPort); !ok || !found || m.seq != seq {
		t.Errorf("reply after a stale one: %+v, found %v, ok %v", m, found, ok)
	}
	// Bytes after the last message are refused.
	if _, _, ok := replyTo(append(route, 0), seq, capturedPort); ok {
		t.Error("a trailing byte parsed")
	}
	// A message of the wrong family, or of a type not asked for.
	m, _, _ := replyTo(route, seq, capturedPort)
	if _, ok := parseRoute(m.body, unix.AF_INET6); ok {
		t.Error("an IPv4 route parsed as IPv6")
	}
	if _, err := answer(m, unix.RTM_NEWLINK); !errors.Is(err, errMalformedReply) {
		t.Errorf("a route as a link: %v", err)
	}
	link, lseq := captured(t, "link/1")
	lm, _, _ := replyTo(link, lseq, capturedPort)
	if _, ok := parseLink(lm.body, 2); ok {
		t.Error("interface 1 parsed as interface 2")
	}
	// An acknowledgement answers only a request that asked for one.
	ack, aseq := captured(t, "ack")
	am, _, _ := replyTo(ack, aseq, capturedPort)
	if _, err := answer(am, unix.RTM_NEWROUTE); !errors.Is(err, errMalformedReply) {
		t.Errorf("an acknowledgement as a route: %v", err)
	}
	if _, err := answer(am, unix.NLMSG_ERROR); err != nil {
		t.Errorf("an acknowledgement asked for: %v", err)
	}
}

func TestParseRouteStrict(t *testing.T) {
	skipBigEndian(t)
	rtm := appendStruct(nil, unix.RtMsg{Family: unix.AF_INET})
	attr := func(typ uint16, v ...byte) []byte {
		b := appendStruct(nil, unix.RtAttr{Len: uint16(4 + len(v)), Type: typ})
		b = append(b, v...)
		return append(b, make([]byte, (4-len(v)%4)%4)...)
	}
	oif := attr(unix.RTA_OIF, 2, 0, 0, 0)
	mtu := attr(unix.RTA_METRICS, attr(unix.RTAX_MTU, 0xdc, 5, 0, 0)...)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
		info routeInfo
	}{
		{"both", cat(rtm, oif, mtu), true, routeInfo{oif: 2, mtu: 1500}},
		{"neither", cat(rtm, attr(unix.RTA_TABLE, 254, 0, 0, 0)), true, routeInfo{}},
		{"unpadded last", cat(rtm, oif, attr(unix.RTA_PREF, 0)[:5]), true, routeInfo{oif: 2}},
		{"no rtmsg", rtm[:unix.SizeofRtMsg-1], false, routeInfo{}},
		{"two interfaces", cat(rtm, oif, oif), false, routeInfo{}},
		{"two metrics", cat(rtm, mtu, mtu), false, routeInfo{}},
		{"two MTUs", cat(rtm, attr(unix.RTA_METRICS, cat(attr(unix.RTAX_MTU, 1, 0, 0, 0), attr(unix.RTAX_MTU, 1, 0, 0, 0))...)), false, routeInfo{}},
		{"short interface", cat(rtm, attr(unix.RTA_OIF, 2, 0)), false, routeInfo{}},
		{"long MTU", cat(rtm, attr(unix.RTA_METRICS, attr(unix.RTAX_MTU, 1, 0, 0, 0, 0)...)), false, routeInfo{}},
		{"attribute past the end", cat(rtm, oif[:7]), false, routeInfo{}},
		{"attribute shorter than its header", cat(rtm, []byte{2, 0, 4, 0}), false, routeInfo{}},
		{"padding cut", cat(rtm, attr(unix.RTA_PREF, 0)[:6]), false, routeInfo{}},
	} {
		info, ok := parseRoute(tc.body, unix.AF_INET)
		if ok != tc.ok || ok && info != tc.info {
			t.Errorf("%s: parseRoute = %+v, %v; want %+v, %v", tc.name, info, ok, tc.info, tc.ok)
		}
	}
}

func TestParseErrorStrict(t *testing.T) {
	skipBigEndian(t)
	b, seq := captured(t, "route/192.0.2.1")
	m, _, _ := replyTo(b, seq, capturedPort)
	set := func(off int, v uint32) nlMessage {
		c := m
		c.body = bytes.Clone(m.body)
		binary.NativeEndian.PutUint32(c.body[off:], v)
		return c
	}
	for _, tc := range []struct {
		name string
		m    nlMessage
	}{
		{"positive error", set(0, 101)},
		{"error past MAX_ERRNO", set(0, uint32(0xffffffff-maxErrno))},
		{"echo of another request", set(4+8, seq+1)},
		{"short", nlMessage{typ: unix.NLMSG_ERROR, seq: seq, body: m.body[:unix.SizeofNlMsgerr-1]}},
	} {
		if _, err := answer(tc.m, unix.RTM_NEWROUTE); !errors.Is(err, errMalformedReply) {
			t.Errorf("%s: %v; want a malformed reply", tc.name, err)
		}
	}
	if _, err := answer(m, unix.RTM_NEWROUTE); err != syscall.ENETUNREACH {
		t.Errorf("answer = %v; want ENETUNREACH", err)
	}
}

func FuzzParseReply(f *testing.F) {
	for _, c := range capturedReplies {
		f.Add(mustHex(f, c.hex), c.seq, uint32(capturedPort))
	}
	f.Fuzz(func(t *testing.T, b []byte, seq, port uint32) {
		m, found, ok := replyTo(b, seq, port)
		if !ok || !found {
			return
		}
		if m.seq != seq || m.pid != port || len(m.body)+unix.SizeofNlMsghdr > len(b) {
			t.Fatalf("message %+v from %d bytes", m, len(b))
		}
		for _, want := range []uint16{unix.RTM_NEWROUTE, unix.RTM_NEWLINK, unix.NLMSG_ERROR} {
			body, err := answer(m, want)
			if err != nil {
				if _, isErrno := err.(syscall.Errno); !isErrno && !errors.Is(err, errMalformedReply) {
					t.Fatalf("answer: %v", err)
				}
				continue
			}
			if want == unix.NLMSG_ERROR && m.typ != unix.NLMSG_ERROR {
				t.Fatalf("a message of type %d taken for an acknowledgement", m.typ)
			}
			parseRoute(body, unix.AF_INET)
			parseRoute(body, unix.AF_INET6)
			if mtu, ok := parseLink(body, 1); ok && len(body) < unix.SizeofIfInfomsg+8 {
				t.Fatalf("link MTU %d from a %d-byte body", mtu, len(body))
			}
		}
	})
}
