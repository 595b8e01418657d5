package dtls

import (
	"errors"
	"strconv"
)

// A Path tells the engine how large a datagram may be, and hears about the
// events that say the path is narrower than thought. A datagram connection
// passed to Client or Server that implements Path is used as the Path of the
// Conn; otherwise the Conn uses a fixed size of Config.DatagramSize with a
// backoff ladder.
//
// The engine calls MaxDatagramSize before every transmission of a flight and
// before every Write; sizes are UDP payload bytes. When it reports a smaller
// size than the current flight was sent at, the flight is re-sent at once,
// fragmented again.
type Path interface {
	// MaxDatagramSize returns the largest datagram the engine may send now.
	MaxDatagramSize() int
	// HandshakeTimeout reports that the flight sent at size bytes has gone
	// unanswered timeouts times in a row: its timer expired, or the peer
	// retransmitted its own previous flight, which says ours was lost
	// (RFC 6347 §4.1.1.1, §4.2.4).
	HandshakeTimeout(size, timeouts int)
	// MessageTooLong reports that a datagram of size bytes could not be sent
	// because it was too long for the path ("message too long").
	MessageTooLong(size int)
}

// ErrMessageTooLong marks errors from the datagram connection that mean a
// datagram was too large for the path (EMSGSIZE, or an ICMP "fragmentation
// needed" / "Packet Too Big" reported on the socket). A read or write error
// that wraps it is not fatal: the engine asks the Path again and, during a
// handshake, re-sends the current flight at the new size.
var ErrMessageTooLong = errors.New("dtls: message too long for the path")

// A PayloadTooLargeError is returned by Write when the data does not fit in
// one datagram at the current path size. Nothing was sent.
type PayloadTooLargeError struct {
	Size int // bytes the caller tried to write
	Max  int // the largest Write that fits now (Conn.MaxPayload)
}

func (e *PayloadTooLargeError) Error() string {
	return "dtls: write of " + strconv.Itoa(e.Size) + " bytes exceeds the path's maximum payload of " + strconv.Itoa(e.Max) + " bytes"
}

// backoffLadder lists UDP payload sizes to step down through when flights
// keep timing out: 1500-byte and 1400-byte links, the IPv6 minimum MTU (1280)
// for IPv4 and IPv6, RFC 8899's BASE_PLPMTU, and the IPv4 minimum (576).
var backoffLadder = []int{1472, 1452, 1372, 1252, 1232, 1200, 548}

// backoffAfter is the number of timeouts of one flight after which the fixed
// path starts stepping down (RFC 6347 §4.1.1.1: "after 2 or 3 retransmissions").
const backoffAfter = 2

// fixedPath is the Path used when the datagram connection provides none.
type fixedPath struct {
	size    int // configured size
	current int // size after backoff
}

func newFixedPath(size int) *fixedPath { return &fixedPath{size: size, current: size} }

func (p *fixedPath) MaxDatagramSize() int { return p.current }

// HandshakeTimeout steps one rung down the ladder for every timeout from the
// second on. The ladder never goes below its last rung, nor below 64 bytes.
func (p *fixedPath) HandshakeTimeout(size, timeouts int) {
	if timeouts < backoffAfter {
		return
	}
	p.current = nextRung(p.current)
}

// MessageTooLong steps down at once: the local stack refused the size.
func (p *fixedPath) MessageTooLong(size int) {
	if size <= p.current {
		p.current = nextRung(min(p.current, size))
	}
}

// nextRung returns the first ladder size below n, or n if none is.
func nextRung(n int) int {
	for _, s := range backoffLadder {
		if s < n {
			return s
		}
	}
	return n
}
