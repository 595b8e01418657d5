//go:build windows

package platform

import (
	"errors"

	"golang.org/x/sys/windows"
)

// IsMessageTooLong reports whether err, from a send or a read on a UDP
// socket, is "message too long" (WSAEMSGSIZE): a send larger than the path
// or interface MTU allows with the Don't Fragment bit set, or a read into a
// buffer smaller than the datagram.
func IsMessageTooLong(err error) bool {
	return errors.Is(err, windows.WSAEMSGSIZE)
}

// IsTransientReadError reports whether err, from a read on a UDP socket,
// reports an ICMP error or an oversize datagram rather than a broken socket,
// so that reading can go on: WSAEMSGSIZE, WSAECONNRESET (a port unreachable)
// and WSAENETRESET (a time exceeded).
func IsTransientReadError(err error) bool {
	errno, ok := errnoOf(err)
	if !ok {
		return false
	}
	switch errno {
	case windows.WSAEMSGSIZE, windows.WSAECONNRESET, windows.WSAENETRESET:
		return true
	}
	return false
}
