package platform

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// sockopt reads an integer socket option of c.
func sockopt(t *testing.T, c *net.UDPConn, level, opt int) int {
	t.Helper()
	var (
		v   int
		err error
	)
	if cerr := rawConn(t, c).Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), level, opt) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sockets are the kinds of UDP socket the options must work on.
var sockets = []struct {
	name, network, address string
	ipv6, dual             bool
}{
	{"ipv4", "udp4", "127.0.0.1:0", false, false},
	{"ipv6", "udp6", "[::1]:0", true, false},
	{"dual-stack", "udp", "[::]:0", true, true},
}

func TestControlDF(t *testing.T) {
	for _, s := range sockets {
		for _, mode := range []DFMode{DFProbe, DFDo, DFDont} {
			t.Run(s.name+"/"+mode.String(), func(t *testing.T) {
				var caps Capabilities
				lc := net.ListenConfig{Control: Control(Options{DF: mode, RecvErr: true}, &caps)}
				pc, err := lc.ListenPacket(t.Context(), s.network, s.address)
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Close()
				want := Capabilities{IPv6: s.ipv6, DualStack: s.dual, DF: true, DFMode: mode, DualStackDF: s.dual, RecvErr: true, PathMTU: true, GSO: true, GRO: true}
				if caps != want {
					t.Errorf("capabilities %+v, want %+v", caps, want)
				}
				checkDF(t, pc.(*net.UDPConn), s.ipv6, s.dual, mode)
				checkRecvErr(t, pc.(*net.UDPConn), s.ipv6, s.dual, 1)
			})
		}
	}
}

// checkDF reads back the discovery options of c.
func checkDF(t *testing.T, c *net.UDPConn, ipv6, dual bool, mode DFMode) {
	t.Helper()
	if ipv6 {
		if got := sockopt(t, c, unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER); got != pmtudisc[mode] {
			t.Errorf("IPV6_MTU_DISCOVER = %d, want %d", got, pmtudisc[mode])
		}
	}
	if !ipv6 || dual {
		if got := sockopt(t, c, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER); got != pmtudisc[mode] {
			t.Errorf("IP_MTU_DISCOVER = %d, want %d", got, pmtudisc[mode])
		}
	}
}

// checkRecvErr reads back the error-queue options of c.
func checkRecvErr(t *testing.T, c *net.UDPConn, ipv6, dual bool, want int) {
	t.Helper()
	if ipv6 {
		if got := sockopt(t, c, unix.IPPROTO_IPV6, unix.IPV6_RECVERR); got != want {
			t.Errorf("IPV6_RECVERR = %d, want %d", got, want)
		}
	}
	if !ipv6 || dual {
		if got := sockopt(t, c, unix.IPPROTO_IP, unix.IP_RECVERR); got != want {
			t.Errorf("IP_RECVERR = %d, want %d", got, want)
		}
	}
}

func TestConfigureAndSetDF(t *testing.T) {
	for _, s := range sockets {
		t.Run(s.name, func(t *testing.T) {
			pc, err := net.ListenPacket(s.network, s.address)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			c := pc.(*net.UDPConn)
			rc := rawConn(t, c)
			checkRecvErr(t, c, s.ipv6, s.dual, 0)
			// The network name a net.Addr gives, "udp", does not tell
			// the family: the socket does.
			caps, err := Configure(rc, c.LocalAddr().Network(), Options{DF: DFDo})
			if err != nil {
				t.Fatal(err)
			}
			// Every kernel these tests run on has UDP GSO and GRO (4.18, 5.0).
			want := Capabilities{IPv6: s.ipv6, DualStack: s.dual, DF: true, DFMode: DFDo, DualStackDF: s.dual, PathMTU: true, GSO: true, GRO: true}
			if caps != want {
				t.Errorf("capabilities %+v, want %+v", caps, want)
			}
			checkDF(t, c, s.ipv6, s.dual, DFDo)
			checkRecvErr(t, c, s.ipv6, s.dual, 0)
			for _, mode := range []DFMode{DFDont, DFProbe} {
				if err := SetDF(rc, "", mode); err != nil {
					t.Fatal(err)
				}
				checkDF(t, c, s.ipv6, s.dual, mode)
			}
			if err := SetDF(rc, "", DFMode(3)); err == nil {
				t.Error("SetDF accepted DFMode(3)")
			}
		})
	}
}

func TestControlNilCapabilities(t *testing.T) {
	lc := net.ListenConfig{Control: Control(Options{}, nil)}
	pc, err := lc.ListenPacket(t.Context(), "udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	checkDF(t, pc.(*net.UDPConn), false, false, DFProbe)
}
