//go:build windows

package sock

import (
	"errors"

	"golang.org/x/sys/windows"
)

// isPortUnreachable reports whether err is the error Windows gives for a
// port unreachable about an earlier datagram: WSAECONNRESET, or
// WSAECONNREFUSED.
func isPortUnreachable(err error) bool {
	return errors.Is(err, windows.WSAECONNRESET) || errors.Is(err, windows.WSAECONNREFUSED)
}
