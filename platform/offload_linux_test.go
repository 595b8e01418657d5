package platform

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOffload checks that the probe leaves UDP_GRO off, and that SetGRO
// turns it on and off again, for each family.
func TestOffload(t *testing.T) {
	for _, s := range sockets {
		t.Run(s.name, func(t *testing.T) {
			pc, err := net.ListenPacket(s.network, s.address)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			c := pc.(*net.UDPConn)
			rc := rawConn(t, c)
			caps, err := Configure(rc, s.network, Options{})
			if err != nil || !caps.GSO || !caps.GRO {
				t.Fatalf("Configure = %+v, %v; want GSO and GRO", caps, err)
			}
			if got := sockopt(t, c, unix.SOL_UDP, unix.UDP_GRO); got != 0 {
				t.Fatalf("UDP_GRO = %d after the probe", got)
			}
			for _, on := range []bool{true, false} {
				if err := SetGRO(rc, on); err != nil {
					t.Fatal(err)
				}
				if got := sockopt(t, c, unix.SOL_UDP, unix.UDP_GRO); got != 0 != on {
					t.Fatalf("UDP_GRO = %d after SetGRO(%v)", got, on)
				}
			}
		})
	}
}
