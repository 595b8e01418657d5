package sock

import (
	"errors"
	"fmt"

	"github.com/pathdtls/pathdtls/platform"
)

// ErrTooLong is wrapped by every [TooLongError]: the local stack refused a
// datagram as larger than it may send.
var ErrTooLong = errors.New("dtls: sock: datagram larger than the local stack sends")

// ErrNotSent means that every attempt of a [Socket.Send] met the pending
// error of an ICMP message about earlier datagrams: the datagram was not
// sent, and must not be counted as sent.
var ErrNotSent = errors.New("dtls: sock: datagram not sent: every attempt met an error about earlier datagrams")

// A TooLongError is returned by [Socket.Send] when the local stack refused
// the datagram as too large (EMSGSIZE). It wraps [ErrTooLong] and the
// error of the send.
type TooLongError struct {
	// MTU is the largest IP packet, headers included, that the local stack
	// said it sends to the destination, or 0 if it did not say.
	MTU int
	// Err is the error the send returned.
	Err error
}

// Error returns the error's description, with the MTU when it is known.
func (e *TooLongError) Error() string {
	s := ErrTooLong.Error()
	if e.MTU > 0 {
		s = fmt.Sprintf("%s (MTU %d)", s, e.MTU)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrTooLong and the error of the send.
func (e *TooLongError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrTooLong}
	}
	return []error{ErrTooLong, e.Err}
}

// IsPending reports whether err, from a [Conn]'s ReadFrom or WriteTo, is a
// pending error rather than a failure of the socket: an error that an ICMP
// message about an earlier datagram left on the socket (ECONNREFUSED,
// EMSGSIZE, EHOSTUNREACH, ENETUNREACH and the others of
// [platform.IsTransientReadError]), which the call returned instead of
// doing its work. A send that the local stack refused as too large
// returns EMSGSIZE too, and is reported the same way; the error queue then
// tells the two apart.
func IsPending(err error) bool {
	return platform.IsTransientReadError(err)
}
