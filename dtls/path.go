package dtls

import (
	"errors"
	"strconv"
)

// ErrMessageTooLong marks errors that mean a datagram was too large for the
// path: a Link's WriteDatagram refusing it (EMSGSIZE), or a read from the
// datagram connection of Client or Server reporting an ICMP "fragmentation
// needed" or "Packet Too Big". Neither is fatal: the engine asks the Path
// again and, during a handshake, re-sends the current flight at the new
// size.
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

// fixedPath is the Path of a Conn made by Client or Server over a datagram
// connection that is no Path: every datagram may have Config.DatagramSize
// bytes. The size policy that backs off through a black hole and learns from
// ICMP and probes belongs to package transport, which gives its Conns a
// Path of its own.
type fixedPath int

func (p fixedPath) MaxDatagramSize() int { return int(p) }
func (fixedPath) FlightLost(int)         {}
func (fixedPath) FlightAnswered(int)     {}
