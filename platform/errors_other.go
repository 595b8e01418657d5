//go:build !unix && !windows

package platform

// IsMessageTooLong reports whether err is "message too long". This package
// does not know the error on this operating system, so it reports false.
func IsMessageTooLong(err error) bool {
	return false
}

// IsTransientReadError reports whether err, from a read on a UDP socket,
// reports an ICMP error from earlier. This package does not know such errors
// on this operating system, so it reports false.
func IsTransientReadError(err error) bool {
	return false
}
