//go:build linux

package platform

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReusePortBalances says that sockets sharing an address through
// SetReusePort share its datagrams: Linux (3.9 on) hands each to one of
// them by a hash of its source and destination, so that a peer's
// datagrams keep going to the same socket while the group stays the same.
const ReusePortBalances = true

// SetReusePort sets SO_REUSEPORT on the socket c before it is bound, so
// that other sockets of the same user may bind the same address, and
// receive their share of its datagrams.
func SetReusePort(c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); cerr != nil {
		return fmt.Errorf("dtls: platform: %w", cerr)
	}
	if err != nil {
		return sockoptError("setsockopt", "SO_REUSEPORT", err)
	}
	return nil
}
