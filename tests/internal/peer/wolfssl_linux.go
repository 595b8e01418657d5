package peer

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// udpPortBound reports whether a UDP socket is bound to port in the
// network namespace of process pid, from the kernel's socket tables
// (proc(5), /proc/pid/net/udp and udp6): each line after the header
// gives the local address as hex IP:port.
func udpPortBound(pid int, port uint16) (bool, error) {
	for _, table := range []string{"udp", "udp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			return false, err
		}
		lines := strings.Split(string(b), "\n")
		for _, line := range lines[1:] {
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && uint16(p) == port {
				return true, nil
			}
		}
	}
	return false, nil
}
