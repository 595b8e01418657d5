//go:build !windows

package sock

import (
	"errors"
	"syscall"
)

// isPortUnreachable reports whether err is the error a port unreachable
// about an earlier datagram leaves on a socket: ECONNREFUSED.
func isPortUnreachable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
