//go:build unix

package platform

import (
	"errors"
	"syscall"
)

// IsMessageTooLong reports whether err, from a send or a read on a UDP
// socket, is "message too long" (EMSGSIZE): a send larger than the path or
// interface MTU allows with the Don't Fragment bit set, or the pending error
// the kernel raises when an ICMP "fragmentation needed" or "Packet Too Big"
// arrives.
func IsMessageTooLong(err error) bool {
	return errors.Is(err, syscall.EMSGSIZE)
}

// IsTransientReadError reports whether err, from a read on a UDP socket,
// reports an ICMP error or a refused send from earlier rather than a broken
// socket, so that reading can go on: one of the errors that an ICMP
// destination unreachable, time exceeded or parameter problem message
// stands for (EMSGSIZE, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN,
// ENOPROTOOPT, EOPNOTSUPP, EPROTO). On Linux the details are on the
// socket's error queue ([ReadErrQueue]).
func IsTransientReadError(err error) bool {
	errno, ok := errnoOf(err)
	if !ok {
		return false
	}
	switch errno {
	case syscall.EMSGSIZE, syscall.ECONNREFUSED, syscall.EHOSTUNREACH,
		syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENOPROTOOPT,
		syscall.EOPNOTSUPP, syscall.EPROTO:
		return true
	}
	return false
}
