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
		bound, err := udpPortBound(os.Getpid(), port)
		if err != nil {
			t.Fatal(err)
		}
		if bound && !takenByAnother(network, port) {
			t.Errorf("%s port %d closed: udpPortBound = true", network, port)
		}
	}
}

// takenByAnother reports whether port is bound by another socket of the
// network namespace, which may take it as soon as ours closes (the tables
// are the namespace's, and other test processes run beside this one).
func takenByAnother(network string, port uint16) bool {
	c, err := net.ListenUDP(network, &net.UDPAddr{Port: int(port)})
	if err != nil {
		return true
	}
	c.Close()
	return false
}
