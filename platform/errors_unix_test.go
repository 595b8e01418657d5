//go:build unix

package platform

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestErrorClassification(t *testing.T) {
	wrap := func(errno syscall.Errno) error {
		return &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", errno)}
	}
	for _, tc := range []struct {
		err                error
		tooLong, transient bool
	}{
		{wrap(syscall.EMSGSIZE), true, true},
		{fmt.Errorf("dtls: %w", wrap(syscall.EMSGSIZE)), true, true},
		{wrap(syscall.ECONNREFUSED), false, true},
		{wrap(syscall.EHOSTUNREACH), false, true},
		{wrap(syscall.ENETUNREACH), false, true},
		{wrap(syscall.EBADF), false, false},
		{net.ErrClosed, false, false},
		{errors.New("message too long"), false, false},
		{nil, false, false},
	} {
		if got := IsMessageTooLong(tc.err); got != tc.tooLong {
			t.Errorf("IsMessageTooLong(%v) = %v", tc.err, got)
		}
		if got := IsTransientReadError(tc.err); got != tc.transient {
			t.Errorf("IsTransientReadError(%v) = %v", tc.err, got)
		}
	}
}
