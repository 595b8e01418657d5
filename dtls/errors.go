package dtls

import (
	"context"
	"errors"
	"net"
	"os"
	"time"
)

// ErrPeerClosed is returned by Write, WriteBatch and SendHeartbeat once
// the peer has closed the connection with close_notify: it reads nothing
// more, and the Conn answered with its own close_notify (RFC 5246 §7.2.1).
// Read returns io.EOF then, once the data received before it was read.
var ErrPeerClosed = errors.New("dtls: the peer closed the connection")

// A HandshakeTimeoutError is returned by a handshake that did not complete
// in time: Config.HandshakeTimeout passed, or the context given to
// HandshakeContext expired. It is a net.Error whose Timeout method reports
// true, and errors.Is(err, context.DeadlineExceeded) holds when the context
// expired.
type HandshakeTimeoutError struct {
	// After is how long the handshake ran.
	After time.Duration
	// Context is the context's error when the context expired, else nil.
	Context error
	// Last is the last problem the handshake met and survived, if any: a
	// port unreachable from the peer's address, or an alert that was not
	// authenticated. It often says why the peer did not answer.
	Last error
}

func (e *HandshakeTimeoutError) Error() string {
	s := "dtls: handshake timed out after " + e.After.Round(time.Millisecond).String()
	if e.Last != nil {
		s += " (last error: " + e.Last.Error() + ")"
	}
	return s
}

// Timeout reports true: the handshake timed out.
func (e *HandshakeTimeoutError) Timeout() bool { return true }

// Temporary reports true, as for any timeout (net.Error).
func (e *HandshakeTimeoutError) Temporary() bool { return true }

// Unwrap returns the context's error and the last problem, for errors.Is
// and errors.As.
func (e *HandshakeTimeoutError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Context, e.Last} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

var _ net.Error = (*HandshakeTimeoutError)(nil)

// contextError returns the error that ends a handshake whose context is
// done: a *HandshakeTimeoutError when its deadline passed, ctx.Err() when it
// was canceled.
func contextError(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return &HandshakeTimeoutError{Context: err}
	}
	return err
}

// errDeadline is the error of a Read or Write whose deadline passed: a
// net.Error that is a timeout, which errors.Is matches with
// os.ErrDeadlineExceeded, as the net package's own.
func errDeadline(op string) error {
	return &net.OpError{Op: op, Net: "dtls", Err: os.ErrDeadlineExceeded}
}
