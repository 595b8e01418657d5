package icmp

import "math"

// ICMPv6 types and codes (RFC 4443) that this package tells apart.
const (
	icmp6DestUnreach  = 1
	icmp6PacketTooBig = 2
	icmp6TimeExceeded = 3
	icmp6ParamProblem = 4

	icmp6AddrUnreach = 3
	icmp6PortUnreach = 4
)

// parseHeader6 classifies an ICMPv6 error message from its type, its code
// and the 32-bit word after the checksum. The Packet Too Big message of
// RFC 4443 section 3.2 is:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                             MTU                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    As much of invoking packet                 |
//
// Destination unreachable and time exceeded carry instead the length of
// RFC 4884 section 4.2 in their first byte, counting 64-bit words.
func parseHeader6(typ, code uint8, word uint32) (header, error) {
	h := header{typ: typ, code: code, kind: KindOther, unit: 8}
	switch typ {
	case icmp6DestUnreach:
		h.quoteWords = int(word >> 24)
		switch code {
		case icmp6AddrUnreach:
			h.kind = KindHostUnreachable
		case icmp6PortUnreach:
			h.kind = KindPortUnreachable
		}
	case icmp6PacketTooBig:
		h.kind, h.mtu = KindPacketTooBig, int(min(word, math.MaxInt32))
	case icmp6TimeExceeded:
		h.quoteWords = int(word >> 24)
		if code == 0 {
			h.kind = KindTimeExceeded
		}
	case icmp6ParamProblem:
	default:
		return header{}, ErrNotError
	}
	return h, nil
}
