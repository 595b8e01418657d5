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

// TestErrnoOf checks that errnoOf finds an Errno where errors.As does.
func TestErrnoOf(t *testing.T) {
	refused := syscall.ECONNREFUSED
	for _, err := range []error{
		refused,
		&net.OpError{Op: "read", Err: os.NewSyscallError("recvmsg", refused)},
		fmt.Errorf("wrapped: %w", &net.OpError{Op: "read", Err: refused}),
		errors.Join(errors.New("other"), fmt.Errorf("x: %w", refused)),
		errors.New("no errno"),
		nil,
	} {
		var want syscall.Errno
		wantOK := errors.As(err, &want)
		if got, ok := errnoOf(err); got != want || ok != wantOK {
			t.Errorf("errnoOf(%v) = %v, %v; errors.As finds %v, %v", err, got, ok, want, wantOK)
		}
	}
	read := error(&net.OpError{Op: "read", Err: os.NewSyscallError("recvmsg", refused)})
	if n := testing.AllocsPerRun(100, func() { IsTransientReadError(read) }); n != 0 {
		t.Errorf("IsTransientReadError allocates %v times", n)
	}
}
