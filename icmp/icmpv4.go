package icmp

// ICMPv4 types and codes (RFC 792) that this package tells apart.
const (
	icmp4DestUnreach  = 3
	icmp4TimeExceeded = 11
	icmp4ParamProblem = 12

	icmp4HostUnreach = 1
	icmp4PortUnreach = 3
	icmp4FragNeeded  = 4
)

// parseHeader4 classifies an ICMPv4 error message from its type, its code
// and the 32-bit word after the checksum. The destination unreachable
// message of RFC 792, with the next-hop MTU of RFC 1191 section 4 and the
// length of RFC 4884 section 4.1, is:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Type = 3    |     Code      |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    unused     |    Length     |          Next-Hop MTU         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Internet Header + leading octets of original datagram    |
//
// Time exceeded has the same layout, with the MTU field unused. The length
// counts 32-bit words.
func parseHeader4(typ, code uint8, word uint32) (header, error) {
	h := header{typ: typ, code: code, kind: KindOther, unit: 4}
	switch typ {
	case icmp4DestUnreach:
		h.quoteWords = int(word >> 16 & 0xff)
		switch code {
		case icmp4HostUnreach:
			h.kind = KindHostUnreachable
		case icmp4PortUnreach:
			h.kind = KindPortUnreachable
		case icmp4FragNeeded:
			h.kind, h.mtu = KindFragNeeded, int(word&0xffff)
		}
	case icmp4TimeExceeded:
		h.quoteWords = int(word >> 16 & 0xff)
		if code == 0 {
			h.kind = KindTimeExceeded
		}
	case icmp4ParamProblem:
	default:
		return header{}, ErrNotError
	}
	return h, nil
}
