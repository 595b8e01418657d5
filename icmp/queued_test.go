package icmp

import (
	"net/netip"
	"syscall"
	"testing"

	"github.com/pathdtls/pathdtls/platform"
)

func TestFromQueued(t *testing.T) {
	wild4 := netip.MustParseAddrPort("0.0.0.0:5684")
	dual := netip.MustParseAddrPort("[::]:5684")
	mappedAddr := func(s string) netip.Addr { return netip.AddrFrom16(netip.MustParseAddr(s).As16()) }
	tests := []struct {
		name  string
		local netip.AddrPort
		q     platform.QueuedError
		want  Event
		ok    bool
	}{
		{"frag-needed", wild4,
			platform.QueuedError{Errno: syscall.EMSGSIZE, Origin: platform.OriginICMP, Type: 3, Code: 4, Info: 1280, Offender: router4, Dest: remote4, Payload: record},
			Event{Local: wild4, Remote: remote4, Reporter: router4, Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: record}, true},
		{"frag-needed/dual-stack", dual,
			platform.QueuedError{Errno: syscall.EMSGSIZE, Origin: platform.OriginICMP, Type: 3, Code: 4, Info: 1280,
				Offender: mappedAddr("203.0.113.1"), Dest: netip.AddrPortFrom(mappedAddr("198.51.100.7"), 4433), Payload: record},
			Event{Local: dual, Remote: remote4, Reporter: router4, Kind: KindFragNeeded, Type: 3, Code: 4, MTU: 1280, Quote: record}, true},
		{"packet-too-big", local6,
			platform.QueuedError{Errno: syscall.EMSGSIZE, Origin: platform.OriginICMP6, Type: 2, Info: 1280, Offender: router6, Dest: remote6, Payload: record},
			Event{Local: local6, Remote: remote6, Reporter: router6, Kind: KindPacketTooBig, Type: 2, MTU: 1280, IPv6: true, Quote: record}, true},
		{"packet-too-big/huge", local6,
			platform.QueuedError{Errno: syscall.EMSGSIZE, Origin: platform.OriginICMP6, Type: 2, Info: 0xffffffff, Offender: router6, Dest: remote6},
			Event{Local: local6, Remote: remote6, Reporter: router6, Kind: KindPacketTooBig, Type: 2, MTU: 1<<31 - 1, IPv6: true}, true},
		{"port-unreachable", local4,
			platform.QueuedError{Errno: syscall.ECONNREFUSED, Origin: platform.OriginICMP, Type: 3, Code: 3, Info: 99, Offender: remote4.Addr(), Dest: remote4},
			Event{Local: local4, Remote: remote4, Reporter: remote4.Addr(), Kind: KindPortUnreachable, Type: 3, Code: 3}, true},
		{"time-exceeded/6", local6,
			platform.QueuedError{Errno: syscall.EHOSTUNREACH, Origin: platform.OriginICMP6, Type: 3, Offender: router6, Dest: remote6},
			Event{Local: local6, Remote: remote6, Reporter: router6, Kind: KindTimeExceeded, Type: 3, IPv6: true}, true},
		{"local", local4, platform.QueuedError{Errno: syscall.EMSGSIZE, Origin: platform.OriginLocal, Info: 1500, Dest: remote4}, Event{}, false},
		{"unknown-origin", local4, platform.QueuedError{Origin: platform.OriginUnknown}, Event{}, false},
		{"not-an-error", local4, platform.QueuedError{Origin: platform.OriginICMP, Type: 0}, Event{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FromQueued(tc.local, tc.q)
			if ok != tc.ok {
				t.Fatalf("FromQueued ok = %v, want %v", ok, tc.ok)
			}
			if ok {
				checkEvent(t, got, tc.want)
			}
		})
	}
}
