package platform

import (
	"net"
	"testing"
)

func TestStrings(t *testing.T) {
	for _, tc := range []struct {
		s    interface{ String() string }
		want string
	}{
		{DFProbe, "probe"}, {DFDo, "do"}, {DFDont, "dont"}, {DFMode(9), "DFMode(9)"},
		{OriginUnknown, "unknown"}, {OriginLocal, "local"}, {OriginICMP, "icmp"}, {OriginICMP6, "icmp6"}, {Origin(9), "Origin(9)"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestFamilyFromNetwork(t *testing.T) {
	for _, tc := range []struct {
		network string
		want    sockInfo
		wantErr bool
	}{
		{"udp4", sockInfo{}, false},
		{"udp6", sockInfo{ipv6: true}, false},
		{"udp", sockInfo{}, true},
		{"", sockInfo{}, true},
	} {
		got, err := familyFromNetwork(tc.network)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("familyFromNetwork(%q) = %+v, %v", tc.network, got, err)
		}
	}
}

func TestConfigureReportsCapabilities(t *testing.T) {
	// Whatever the operating system, configuring a socket either works or
	// reports what is missing; it never fails for a missing option.
	for _, network := range []string{"udp4", "udp6"} {
		addr := "127.0.0.1:0"
		if network == "udp6" {
			addr = "[::1]:0"
		}
		var caps Capabilities
		lc := net.ListenConfig{Control: Control(Options{RecvErr: true}, &caps)}
		c, err := lc.ListenPacket(t.Context(), network, addr)
		if err != nil {
			t.Logf("%s not available: %v", network, err)
			continue
		}
		c.Close()
		if caps.IPv6 != (network == "udp6") || caps.DualStack {
			t.Errorf("%s: capabilities %+v", network, caps)
		}
		t.Logf("%s: %+v", network, caps)
	}
}
