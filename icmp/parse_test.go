package icmp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// v4 and v6 complete a quoted datagram from local4 to remote4, or from
// local6 to remote6.
func v4(d ipv4Datagram) ipv4Datagram {
	d.src, d.dst, d.proto = local4, remote4, protoUDP
	return d
}

func v6(d ipv6Datagram) ipv6Datagram {
	d.src, d.dst = local6, remote6
	return d
}

// Extension headers for the quotes of parseTests.
var (
	fragExt  = ipv6Ext{ipv6Fragment, []byte{0, 0, 1, 0, 0, 0, 9}} // offset 0, more fragments
	destOpts = ipv6Ext{ipv6DestOpts, []byte{1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
)

// parseTests are hand-built messages and what ParseICMP makes of them; a
// successful result's Local, Remote, Reporter and IPv6 are filled in by
// the test from the protocol.
var parseTests = []struct {
	name  string
	proto int
	msg   []byte
	want  Event // Local, Remote and IPv6 filled in from proto when zero
	err   error
}{
	{"frag-needed", ProtocolICMP, fragNeeded(1400, 1472),
		Event{Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1400, Quote: record, QuotedLen: 1472}, nil},
	{"frag-needed/mtu-zero", ProtocolICMP, fragNeeded(0, 1472),
		Event{Kind: KindFragNeeded, Type: 3, Code: 4, Quote: record, QuotedLen: 1472}, nil},
	{"frag-needed/ip-options", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 1280, v4(ipv4Datagram{opts: []byte{1, 1, 1, 0}, payloadLen: 1400, quote: record}).bytes()),
		Event{Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: record, QuotedLen: 1400}, nil},
	{"frag-needed/rfc792-minimum", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 1280, v4(ipv4Datagram{payloadLen: 1400}).bytes()),
		Event{Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: []byte{}, QuotedLen: 1400}, nil},
	{"frag-needed/padded-quote", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 1280, v4(ipv4Datagram{payloadLen: 4, quote: []byte("abcdPADDING")}).bytes()),
		Event{Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: []byte("abcd"), QuotedLen: 4}, nil},
	{"frag-needed/rfc4884", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 8<<16|1280, append(v4(ipv4Datagram{payloadLen: 1400, quote: record[:4]}).bytes(), "\x20\x00\x00\x00extension"...)),
		Event{Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: record[:4], QuotedLen: 1400}, nil},
	{"frag-needed/rfc4884-too-long", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 9<<16|1280, v4(ipv4Datagram{payloadLen: 1400, quote: record[:4]}).bytes()),
		Event{}, ErrMalformed},
	{"port-unreachable/4", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 3, 0, v4(ipv4Datagram{payloadLen: 5, quote: []byte("hello")}).bytes()),
		Event{Kind: KindPortUnreachable, Type: 3, Code: 3, Quote: []byte("hello"), QuotedLen: 5}, nil},
	{"host-unreachable/4", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 1, 0, v4(ipv4Datagram{payloadLen: 5}).bytes()),
		Event{Kind: KindHostUnreachable, Type: 3, Code: 1, Quote: []byte{}, QuotedLen: 5}, nil},
	{"net-unreachable/4", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 0, 0, v4(ipv4Datagram{payloadLen: 5}).bytes()),
		Event{Kind: KindOther, Type: 3, Code: 0, Quote: []byte{}, QuotedLen: 5}, nil},
	{"time-exceeded/4", ProtocolICMP,
		icmpMsg(ProtocolICMP, 11, 0, 0, v4(ipv4Datagram{payloadLen: 5}).bytes()),
		Event{Kind: KindTimeExceeded, Type: 11, Quote: []byte{}, QuotedLen: 5}, nil},
	{"parameter-problem/4", ProtocolICMP,
		icmpMsg(ProtocolICMP, 12, 0, 20<<24, v4(ipv4Datagram{payloadLen: 5}).bytes()),
		Event{Kind: KindOther, Type: 12, Quote: []byte{}, QuotedLen: 5}, nil},
	{"echo-request/4", ProtocolICMP, icmpMsg(ProtocolICMP, 8, 0, 0x00010001, []byte("ping")), Event{}, ErrNotError},
	{"bad-checksum", ProtocolICMP, func() []byte { m := fragNeeded(1280, 1400); m[3]++; return m }(), Event{}, ErrChecksum},
	{"not-udp", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 1280, ipv4Datagram{src: local4, dst: remote4, proto: 6, payloadLen: 1400}.bytes()),
		Event{}, ErrNotUDP},
	{"later-fragment", ProtocolICMP,
		icmpMsg(ProtocolICMP, 3, 4, 1280, v4(ipv4Datagram{fragOff: 185, payloadLen: 1400}).bytes()),
		Event{}, ErrNotUDP},
	{"ipv6-in-icmpv4", ProtocolICMP, icmpMsg(ProtocolICMP, 3, 4, 1280, v6(ipv6Datagram{payloadLen: 5}).bytes()), Event{}, ErrMalformed},
	{"short-ihl", ProtocolICMP, icmpMsg(ProtocolICMP, 3, 4, 1280, append([]byte{0x44}, v4(ipv4Datagram{}).bytes()[1:]...)), Event{}, ErrMalformed},
	{"truncated-udp/4", ProtocolICMP, icmpMsg(ProtocolICMP, 3, 4, 1280, v4(ipv4Datagram{payloadLen: 5}).bytes()[:27]), Event{}, ErrMalformed},
	{"truncated-header", ProtocolICMP, []byte{3, 4, 0xfc, 0xfb, 0, 0, 5}, Event{}, ErrMalformed},
	{"empty", ProtocolICMPv6, nil, Event{}, ErrMalformed},

	{"packet-too-big", ProtocolICMPv6, packetTooBig(1280, 1452),
		Event{Kind: KindPacketTooBig, Type: 2, MTU: 1280, Quote: record, QuotedLen: 1452}, nil},
	{"packet-too-big/huge-mtu", ProtocolICMPv6, packetTooBig(0xffffffff, 1452),
		Event{Kind: KindPacketTooBig, Type: 2, MTU: 1<<31 - 1, Quote: record, QuotedLen: 1452}, nil},
	{"packet-too-big/extension-headers", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 2, 0, 1280, v6(ipv6Datagram{ext: []ipv6Ext{destOpts, fragExt}, payloadLen: 1400, quote: record}).bytes()),
		Event{Kind: KindPacketTooBig, Type: 2, MTU: 1280, Quote: record, QuotedLen: 1400}, nil},
	{"packet-too-big/later-fragment", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 2, 0, 1280, v6(ipv6Datagram{ext: []ipv6Ext{{ipv6Fragment, []byte{0, 0, 0x10, 0, 0, 0, 9}}}, payloadLen: 1400}).bytes()),
		Event{}, ErrNotUDP},
	{"packet-too-big/unknown-extension", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 2, 0, 1280, v6(ipv6Datagram{ext: []ipv6Ext{{50, []byte{0, 0, 0, 0, 0, 0, 0}}}, payloadLen: 1400}).bytes()),
		Event{}, ErrNotUDP},
	{"packet-too-big/truncated-extension", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 2, 0, 1280, v6(ipv6Datagram{ext: []ipv6Ext{{ipv6HopByHop, []byte{9, 0, 0, 0, 0, 0, 0}}}, payloadLen: 1400}).bytes()),
		Event{}, ErrMalformed},
	{"port-unreachable/6", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 1, 4, 0, v6(ipv6Datagram{payloadLen: 5, quote: []byte("hello")}).bytes()),
		Event{Kind: KindPortUnreachable, Type: 1, Code: 4, Quote: []byte("hello"), QuotedLen: 5}, nil},
	{"address-unreachable/6", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 1, 3, 0, v6(ipv6Datagram{payloadLen: 5}).bytes()),
		Event{Kind: KindHostUnreachable, Type: 1, Code: 3, Quote: []byte{}, QuotedLen: 5}, nil},
	{"time-exceeded/6/rfc4884", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 3, 0, 7<<24, append(v6(ipv6Datagram{payloadLen: 5, quote: []byte("hello")}).bytes(), "\x20\x00\x00\x00extension"...)),
		Event{Kind: KindTimeExceeded, Type: 3, Quote: []byte("hello"), QuotedLen: 5}, nil},
	{"parameter-problem/6", ProtocolICMPv6,
		icmpMsg(ProtocolICMPv6, 4, 0, 6, v6(ipv6Datagram{payloadLen: 5}).bytes()),
		Event{Kind: KindOther, Type: 4, Quote: []byte{}, QuotedLen: 5}, nil},
	{"echo-reply/6", ProtocolICMPv6, icmpMsg(ProtocolICMPv6, 129, 0, 0x00010001, nil), Event{}, ErrNotError},
	{"ipv4-in-icmpv6", ProtocolICMPv6, icmpMsg(ProtocolICMPv6, 2, 0, 1280, v4(ipv4Datagram{payloadLen: 5}).bytes()), Event{}, ErrMalformed},
	{"truncated-ipv6", ProtocolICMPv6, packetTooBig(1280, 1452)[:8+39], Event{}, ErrMalformed},
	{"truncated-udp/6", ProtocolICMPv6, packetTooBig(1280, 1452)[:8+40+7], Event{}, ErrMalformed},
}

func TestParseICMP(t *testing.T) {
	for _, tc := range parseTests {
		t.Run(tc.name, func(t *testing.T) {
			reporter := router4
			if tc.proto == ProtocolICMPv6 {
				reporter = router6
			}
			got, err := ParseICMP(tc.proto, tc.msg, reporter)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseICMP error %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			want := tc.want
			want.Reporter, want.Local, want.Remote = reporter, local4, remote4
			if tc.proto == ProtocolICMPv6 {
				want.Local, want.Remote, want.IPv6 = local6, remote6, true
			}
			checkEvent(t, got, want)
		})
	}
}

// checkEvent compares two events.
func checkEvent(t *testing.T, got, want Event) {
	t.Helper()
	if !bytes.Equal(got.Quote, want.Quote) {
		t.Errorf("quote %q, want %q", got.Quote, want.Quote)
	}
	got.Quote, want.Quote = nil, nil
	if got.String() != want.String() || got.Type != want.Type || got.Code != want.Code || got.IPv6 != want.IPv6 {
		t.Errorf("event\n%v (type %d code %d ipv6 %v), want\n%v (type %d code %d ipv6 %v)",
			got, got.Type, got.Code, got.IPv6, want, want.Type, want.Code, want.IPv6)
	}
}

func TestParseICMPQuoteIsCopied(t *testing.T) {
	msg := fragNeeded(1280, 1400)
	ev, err := ParseICMP(ProtocolICMP, msg, router4)
	if err != nil {
		t.Fatal(err)
	}
	clear(msg)
	if !bytes.Equal(ev.Quote, record) {
		t.Errorf("quote changed with the message: %q", ev.Quote)
	}
}

func TestParseICMPUnknownProtocol(t *testing.T) {
	if _, err := ParseICMP(6, fragNeeded(1280, 1400), router4); err == nil {
		t.Error("ParseICMP accepted protocol 6")
	}
}

// routerMessages are ICMP messages a Linux 6.18 router sent to 10.31.1.2
// in network namespaces, read from a raw socket: a fragmentation needed and
// a Packet Too Big, for 1400-byte datagrams across a link of MTU 1280, each
// quoting as much as Linux does (548 bytes of IPv4 packet, 1232 of IPv6).
var routerMessages = []struct {
	file     string
	proto    int
	reporter netip.Addr
	want     Event
}{
	{"router-frag-needed.hex", ProtocolICMP, netip.MustParseAddr("10.31.1.1"), Event{
		Local: netip.MustParseAddrPort("10.31.1.2:38388"), Remote: netip.MustParseAddrPort("10.31.2.2:4444"),
		Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, QuotedLen: 1400,
	}},
	{"router-packet-too-big.hex", ProtocolICMPv6, netip.MustParseAddr("fd31:1::1"), Event{
		Local: netip.MustParseAddrPort("[fd31:1::2]:60847"), Remote: netip.MustParseAddrPort("[fd31:2::2]:4444"),
		Kind: KindPacketTooBig, Type: 2, MTU: 1280, QuotedLen: 1400, IPv6: true,
	}},
}

// routerPayload is the start of the datagrams the routerMessages quote; the
// rest is zeros.
const routerPayload = "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x07\x05\x6bDTLS-ish"

func TestParseICMPRouter(t *testing.T) {
	for _, tc := range routerMessages {
		t.Run(tc.file, func(t *testing.T) {
			msg := readHex(t, tc.file)
			got, err := ParseICMP(tc.proto, msg, tc.reporter)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.Reporter = tc.reporter
			want.Quote = make([]byte, 1184)
			if !tc.want.IPv6 {
				want.Quote = make([]byte, 520)
			}
			copy(want.Quote, routerPayload)
			checkEvent(t, got, want)
		})
	}
}

func TestParseICMPPrefixes(t *testing.T) {
	// A quote may be cut anywhere after the UDP header: every shorter
	// prefix is refused, every longer one parses with a shorter quote.
	for _, tc := range routerMessages {
		full := readHex(t, tc.file)
		want, err := ParseICMP(tc.proto, full, tc.reporter)
		if err != nil {
			t.Fatal(err)
		}
		headers := len(full) - len(want.Quote)
		for n := range len(full) {
			msg := bytes.Clone(full[:n])
			if tc.proto == ProtocolICMP {
				setChecksum(msg)
			}
			got, err := ParseICMP(tc.proto, msg, tc.reporter)
			switch {
			case n < headers && err == nil:
				t.Fatalf("%s: %d-byte prefix parsed", tc.file, n)
			case n >= headers && err != nil:
				t.Fatalf("%s: %d-byte prefix: %v", tc.file, n, err)
			case n >= headers && (!bytes.Equal(got.Quote, want.Quote[:n-headers]) || got.QuotedLen != want.QuotedLen):
				t.Fatalf("%s: %d-byte prefix gave quote of %d bytes of %d", tc.file, n, len(got.Quote), got.QuotedLen)
			}
		}
	}
}

func FuzzParseICMP(f *testing.F) {
	for _, tc := range routerMessages {
		f.Add(tc.proto == ProtocolICMPv6, readHex(f, tc.file))
	}
	f.Add(false, fragNeeded(1280, 1400))
	f.Add(true, packetTooBig(1280, 1452))
	f.Add(true, icmpMsg(ProtocolICMPv6, 3, 0, 7<<24, append(ipv6Datagram{src: local6, dst: remote6, payloadLen: 5, quote: []byte("hello")}.bytes(), "\x20\x00\x00\x00extension"...)))
	f.Fuzz(func(t *testing.T, ipv6 bool, msg []byte) {
		proto := ProtocolICMP
		if ipv6 {
			proto = ProtocolICMPv6
		} else {
			// Get past the checksum, to the parsing behind it.
			setChecksum(msg)
		}
		ev, err := ParseICMP(proto, msg, router4)
		if err != nil {
			return
		}
		if len(ev.Quote) > len(msg) || ev.QuotedLen > 0 && len(ev.Quote) > ev.QuotedLen {
			t.Errorf("quote of %d bytes of %d from a %d-byte message", len(ev.Quote), ev.QuotedLen, len(msg))
		}
		if ev.MTU != 0 && ev.Kind != KindFragNeeded && ev.Kind != KindPacketTooBig || ev.MTU < 0 {
			t.Errorf("MTU %d in a %v", ev.MTU, ev.Kind)
		}
		if !ev.Local.IsValid() || !ev.Remote.IsValid() || ev.Local.Addr().Is4() == ipv6 {
			t.Errorf("addresses %v -> %v", ev.Local, ev.Remote)
		}
	})
}
