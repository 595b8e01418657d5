package sock

import (
	"errors"
	"fmt"
	"io"
)

// An ICMPSource says where a Socket hears of the ICMP errors that its
// datagrams cause, which it hands to its Handler.
//
// Whatever the source, a Socket reads the error queue, where the Conn has
// one, each time it meets a pending error: reading it clears the error,
// and its entries of origin LOCAL are the refusals that Send reports and
// hands to Handler.LocalLimit. Only the source decides which ICMP errors
// reach Handler.ICMP.
type ICMPSource uint8

const (
	// ICMPAuto is the error queue where the Conn has one; else a raw ICMP
	// listener where the Conn offers one ([ICMPListener]) and the process
	// has the privilege; else none. On a connected Conn without an error
	// queue, a pending "connection refused" also becomes a port
	// unreachable about the peer, with nothing quoted, raw listener or
	// not.
	ICMPAuto ICMPSource = iota
	// ICMPErrQueue is the Conn's error queue (Linux's IP_RECVERR).
	ICMPErrQueue
	// ICMPRaw is a raw ICMP listener, beside the error queue if the Conn
	// has one; the error queue's ICMP entries are then ignored.
	ICMPRaw
	// ICMPNone hands no ICMP error to the Handler.
	ICMPNone
)

var sourceNames = [...]string{
	ICMPAuto:     "auto",
	ICMPErrQueue: "errqueue",
	ICMPRaw:      "raw",
	ICMPNone:     "none",
}

// String returns the source's name: "auto", "errqueue", "raw" or "none".
func (s ICMPSource) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return fmt.Sprintf("ICMPSource(%d)", uint8(s))
}

// ErrNoErrQueue is returned by [NewWithICMP] for ICMPErrQueue on a Conn
// without an error queue.
var ErrNoErrQueue = errors.New("dtls: sock: the socket has no error queue")

// errNoListener is returned by [NewWithICMP] for ICMPRaw on a Conn that
// does not implement ICMPListener.
var errNoListener = errors.New("dtls: sock: the socket cannot listen for ICMP errors")

// New returns a Socket over c that reports to h (nil for none) the ICMP
// errors of [ICMPAuto]: if c has no error queue and can open a raw ICMP
// listener ([ICMPListener]; it needs privilege), New starts one, best
// effort, watching c's local address; Close stops it.
func New(c Conn, h Handler) *Socket {
	s, _ := NewWithICMP(c, h, ICMPAuto) // ICMPAuto cannot fail
	return s
}

// NewWithICMP returns a Socket over c that reports to h (nil for none) the
// ICMP errors of src. It fails, leaving c open, if src is ICMPErrQueue
// and c has no error queue ([ErrNoErrQueue]), or if src is ICMPRaw and c
// cannot open a raw ICMP listener: it is no [ICMPListener], or the
// process lacks the privilege. A raw listener watches c's local address
// until Close.
func NewWithICMP(c Conn, h Handler, src ICMPSource) (*Socket, error) {
	if h == nil {
		h = nopHandler{}
	}
	s := &Socket{c: c, h: h, local: c.LocalAddr(), errQueue: c.Capabilities().RecvErr}
	if cc, ok := c.(Connected); ok {
		s.peer = unmapAP(cc.RemoteAddr())
	}
	switch src {
	case ICMPAuto:
		s.src, s.pendingEvents = ICMPErrQueue, !s.errQueue
		if !s.errQueue {
			s.src = ICMPNone
			if raw, err := s.listen(); err == nil {
				s.raw, s.src = raw, ICMPRaw
			}
		}
	case ICMPErrQueue:
		if !s.errQueue {
			return nil, ErrNoErrQueue
		}
		s.src = ICMPErrQueue
	case ICMPRaw:
		raw, err := s.listen()
		if err != nil {
			return nil, err
		}
		s.raw, s.src = raw, ICMPRaw
	case ICMPNone:
		s.src = ICMPNone
	default:
		return nil, fmt.Errorf("dtls: sock: unknown ICMP source %v", src)
	}
	return s, nil
}

// listen opens a raw ICMP listener that hands its events to rawEvent.
func (s *Socket) listen() (io.Closer, error) {
	l, ok := s.c.(ICMPListener)
	if !ok {
		return nil, errNoListener
	}
	return l.ListenICMP(s.rawEvent)
}

// ICMPSource returns where the ICMP errors handed to the Handler come
// from: ICMPErrQueue, ICMPRaw or ICMPNone, never ICMPAuto.
func (s *Socket) ICMPSource() ICMPSource { return s.src }
