package peer

import (
	"net"
	"os"
	"testing"
)

func TestUDPPortBound(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		c, err := net.ListenUDP(network, nil)
		if err != nil {
			t.Fatal(err)
		}
		port := uint16(c.LocalAddr().(*net.UDPAddr).Port)
		if bound, err := udpPortBound(os.Getpid(), port); err != nil || !bound {
			t.Errorf("%s port %d bound: udpPortBound = %v, %v", network, port, bound, err)
		}
		c.Close()
		if bound, err := udpPortBound(os.Getpid(), port); err != nil || bound {
			t.Errorf("%s port %d closed: udpPortBound = %v, %v", network, port, bound, err)
		}
	}
}
