//go:build !linux

package peer

// udpPortBound reports a port as bound at once where there is no
// /proc/pid/net/udp to read: a client that starts too early retransmits
// its first flight.
func udpPortBound(pid int, port uint16) (bool, error) { return true, nil }
