//go:build linux

package platform

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// forceReadBuffer sets SO_RCVBUFFORCE, which passes net.core.rmem_max for
// a process with CAP_NET_ADMIN.
func forceReadBuffer(c syscall.RawConn, bytes int) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes)
	}); cerr != nil {
		return fmt.Errorf("dtls: platform: %w", cerr)
	}
	if err != nil {
		return sockoptError("setsockopt", "SO_RCVBUFFORCE", err)
	}
	return nil
}
