package icmp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// sentRecord is a Matcher that knows record.
func sentRecord(quote []byte) bool {
	return bytes.HasPrefix(quote, record[:13])
}

// Events for validateTests.
var (
	frag = Event{Local: local4, Remote: remote4, Reporter: router4, Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: record, QuotedLen: 1472}
	ptb  = Event{Local: local6, Remote: remote6, Reporter: router6, Kind: KindPacketTooBig, Type: 2, MTU: 1280, IPv6: true, Quote: record, QuotedLen: 1452}
	port = Event{Local: local4, Remote: remote4, Reporter: remote4.Addr(), Kind: KindPortUnreachable, Type: 3, Code: 3, Quote: record, QuotedLen: 100}

	wildcard4 = netip.AddrPortFrom(netip.IPv4Unspecified(), local4.Port())
)

// with returns ev changed by f.
func with(ev Event, f func(*Event)) Event {
	f(&ev)
	return ev
}

// mapped returns ap with an IPv4-mapped address.
func mapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(ap.Addr().As16()), ap.Port())
}

// validateTests are run in order on one Validator, whose counts are then
// checked.
var validateTests = []struct {
	name          string
	ev            Event
	local, remote netip.AddrPort
	sent          int
	match         Matcher
	wantMTU       int
	err           error
}{
	{"frag-needed", frag, local4, remote4, 0, sentRecord, 1280, nil},
	{"frag-needed/raised", with(frag, func(e *Event) { e.MTU = 68 }), local4, remote4, 0, sentRecord, MinMTU4, nil},
	{"frag-needed/zero-raised", with(frag, func(e *Event) { e.MTU = 0 }), local4, remote4, 0, sentRecord, MinMTU4, nil},
	{"frag-needed/raised-not-below", with(frag, func(e *Event) { e.MTU, e.QuotedLen = 68, 500 }), local4, remote4, 0, sentRecord, 0, ErrMTUNotBelowSize},
	{"frag-needed/just-below", with(frag, func(e *Event) { e.MTU = 1499 }), local4, remote4, 0, sentRecord, 1499, nil},
	{"frag-needed/not-below", with(frag, func(e *Event) { e.MTU = 1500 }), local4, remote4, 0, sentRecord, 0, ErrMTUNotBelowSize},
	{"frag-needed/above", with(frag, func(e *Event) { e.MTU = 9000 }), local4, remote4, 0, sentRecord, 0, ErrMTUNotBelowSize},
	{"frag-needed/quoted-len-wins", frag, local4, remote4, 100, sentRecord, 1280, nil},
	{"frag-needed/sent-size", with(frag, func(e *Event) { e.QuotedLen = 0 }), local4, remote4, 1400, sentRecord, 1280, nil},
	{"frag-needed/sent-size-not-below", with(frag, func(e *Event) { e.QuotedLen = 0 }), local4, remote4, 1252, sentRecord, 0, ErrMTUNotBelowSize},
	{"frag-needed/size-unknown", with(frag, func(e *Event) { e.QuotedLen = 0 }), local4, remote4, 0, sentRecord, 0, ErrSizeUnknown},
	{"frag-needed/wildcard-local", frag, wildcard4, remote4, 0, sentRecord, 1280, nil},
	{"frag-needed/dual-stack-wildcard", frag, netip.AddrPortFrom(netip.IPv6Unspecified(), local4.Port()), mapped(remote4), 0, sentRecord, 1280, nil},
	{"frag-needed/mapped", frag, mapped(local4), mapped(remote4), 0, sentRecord, 1280, nil},
	{"frag-needed/any-remote", frag, local4, netip.AddrPort{}, 0, sentRecord, 1280, nil},
	{"frag-needed/wrong-local-port", frag, netip.AddrPortFrom(local4.Addr(), 5685), remote4, 0, sentRecord, 0, ErrNotOurs},
	{"frag-needed/wrong-local-addr", frag, netip.MustParseAddrPort("192.0.2.2:5684"), remote4, 0, sentRecord, 0, ErrNotOurs},
	{"frag-needed/wrong-remote-port", frag, local4, netip.AddrPortFrom(remote4.Addr(), 4434), 0, sentRecord, 0, ErrNotOurs},
	{"frag-needed/wrong-remote-addr", frag, local4, netip.MustParseAddrPort("198.51.100.8:4433"), 0, sentRecord, 0, ErrNotOurs},
	{"frag-needed/no-local", frag, netip.AddrPort{}, remote4, 0, sentRecord, 0, ErrNotOurs},
	{"frag-needed/not-ours-before-mtu", with(frag, func(e *Event) { e.MTU = 9000 }), wildcard4, netip.MustParseAddrPort("198.51.100.8:4433"), 0, nil, 0, ErrNotOurs},
	{"frag-needed/not-sent", with(frag, func(e *Event) { e.Quote = []byte("\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x07\x06\x00\x6b") }), local4, remote4, 0, sentRecord, 0, ErrNotSent},
	{"frag-needed/short-quote", with(frag, func(e *Event) { e.Quote = record[:12] }), local4, remote4, 0, sentRecord, 1280, nil},
	{"frag-needed/no-quote", with(frag, func(e *Event) { e.Quote = nil }), local4, remote4, 0, sentRecord, 1280, nil},
	{"frag-needed/no-matcher", with(frag, func(e *Event) { e.Quote = []byte("anything at all, really") }), local4, remote4, 0, nil, 1280, nil},
	{"packet-too-big", ptb, local6, remote6, 0, sentRecord, 1280, nil},
	{"packet-too-big/below-1280", with(ptb, func(e *Event) { e.MTU = 1279 }), local6, remote6, 0, sentRecord, 0, ErrMTUBelowMinimum},
	{"packet-too-big/zero", with(ptb, func(e *Event) { e.MTU = 0 }), local6, remote6, 0, sentRecord, 0, ErrMTUBelowMinimum},
	{"packet-too-big/just-below", with(ptb, func(e *Event) { e.MTU = 1499 }), local6, remote6, 0, sentRecord, 1499, nil},
	{"packet-too-big/not-below", with(ptb, func(e *Event) { e.MTU = 1500 }), local6, remote6, 0, sentRecord, 0, ErrMTUNotBelowSize},
	{"packet-too-big/wildcard-local", ptb, netip.AddrPortFrom(netip.IPv6Unspecified(), local6.Port()), remote6, 0, sentRecord, 1280, nil},
	{"packet-too-big/zoned", ptb, netip.AddrPortFrom(local6.Addr().WithZone("eth0"), local6.Port()), remote6, 0, sentRecord, 1280, nil},
	{"packet-too-big/ipv4-socket", ptb, local4, remote4, 0, sentRecord, 0, ErrNotOurs},
	{"port-unreachable", port, local4, remote4, 0, sentRecord, 0, nil},
	{"port-unreachable/not-ours", port, local4, remote6, 0, sentRecord, 0, ErrNotOurs},
	{"port-unreachable/not-sent", with(port, func(e *Event) { e.Quote = []byte("0123456789abcdef") }), local4, remote4, 0, sentRecord, 0, ErrNotSent},
}

func TestValidate(t *testing.T) {
	v := Validator{MinQuote: 13}
	var want ValidatorStats
	for _, tc := range validateTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Validate(tc.ev, tc.local, tc.remote, tc.sent, tc.match)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Validate error %v, want %v", err, tc.err)
			}
			if err == nil && (got.MTU != tc.wantMTU || got.Kind != tc.ev.Kind || got.Local != tc.ev.Local || !bytes.Equal(got.Quote, tc.ev.Quote)) {
				t.Errorf("Validate = %v, want %v with MTU %d", got, tc.ev, tc.wantMTU)
			}
		})
		switch tc.err {
		case nil:
			want.Accepted++
			if tc.ev.MTU < MinMTU4 && tc.ev.Kind == KindFragNeeded {
				want.Raised++
			}
		case ErrNotOurs:
			want.NotOurs++
		case ErrMTUNotBelowSize:
			want.MTUNotBelowSize++
		case ErrMTUBelowMinimum:
			want.MTUBelowMinimum++
		case ErrSizeUnknown:
			want.SizeUnknown++
		case ErrNotSent:
			want.NotSent++
		}
	}
	if got := v.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if got, want := v.Stats().Rejected(), uint64(len(validateTests))-want.Accepted; got != want {
		t.Errorf("Rejected() = %d, want %d", got, want)
	}
}

func TestValidateRouterMessages(t *testing.T) {
	// What a real router sent passes, with a Matcher for its payload.
	var v Validator
	v.MinQuote = 13
	for _, tc := range routerMessages {
		ev, err := ParseICMP(tc.proto, readHex(t, tc.file), tc.reporter)
		if err != nil {
			t.Fatal(err)
		}
		match := func(q []byte) bool { return bytes.HasPrefix(q, []byte(routerPayload[:13])) }
		got, err := v.Validate(ev, tc.want.Local, tc.want.Remote, 1400, match)
		if err != nil || got.MTU != 1280 {
			t.Errorf("%s: Validate = %v, %v", tc.file, got, err)
		}
	}
}
