//go:build !linux

package platform

import "syscall"

// ReadErrQueue reads the socket's error queue without blocking and calls fn
// for each entry, until the queue is empty. On this operating system there
// is no error queue and it returns an error wrapping [ErrUnsupported].
func ReadErrQueue(c syscall.RawConn, fn func(QueuedError)) error {
	return ErrUnsupported
}
