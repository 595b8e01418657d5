package icmp

import (
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
)

const (
	protoUDP      = 17
	udpHeaderLen  = 8
	ipv4HeaderLen = 20
)

// quoted is what the quote of an ICMP error tells about the datagram.
type quoted struct {
	src, dst   netip.AddrPort
	payload    []byte // the quoted UDP payload; aliases the message
	payloadLen int    // the whole UDP payload's length, or 0 if unknown
}

// parseQuote4 parses the quoted IPv4 header (RFC 791 section 3.1) and UDP
// header (RFC 768) that start the quote of an ICMPv4 error message.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	|         Identification        |Flags|      Fragment Offset    |
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	|                       Source Address                          |
//	|                    Destination Address                        |
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	|            Length             |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
func parseQuote4(b []byte) (quoted, error) {
	s := cryptobyte.String(b)
	var (
		vihl, proto  uint8
		total, frag  uint16
		srcIP, dstIP [4]byte
		options      cryptobyte.String
	)
	if !s.ReadUint8(&vihl) || !s.Skip(1) || !s.ReadUint16(&total) ||
		!s.Skip(2) || !s.ReadUint16(&frag) || !s.Skip(1) || !s.ReadUint8(&proto) ||
		!s.Skip(2) || !s.CopyBytes(srcIP[:]) || !s.CopyBytes(dstIP[:]) {
		return quoted{}, ErrMalformed
	}
	ihl := int(vihl&0x0f) * 4
	if vihl>>4 != 4 || ihl < ipv4HeaderLen || !s.ReadBytes((*[]byte)(&options), ihl-ipv4HeaderLen) {
		return quoted{}, ErrMalformed
	}
	if proto != protoUDP || frag&0x1fff != 0 {
		return quoted{}, ErrNotUDP
	}
	q, err := parseUDP(&s, netip.AddrFrom4(srcIP), netip.AddrFrom4(dstIP))
	if err == nil && q.payloadLen == 0 && int(total) >= ihl+udpHeaderLen {
		// A UDP length below 8 is wrong; the IP length may still tell.
		q.payloadLen = int(total) - ihl - udpHeaderLen
	}
	return q, err
}

// parseUDP parses the quoted UDP header and keeps the rest of s as the
// quoted payload, cut to the length the header gives, if it gives one: a
// router may pad its quote.
func parseUDP(s *cryptobyte.String, src, dst netip.Addr) (quoted, error) {
	var sport, dport, length uint16
	if !s.ReadUint16(&sport) || !s.ReadUint16(&dport) || !s.ReadUint16(&length) || !s.Skip(2) {
		return quoted{}, ErrMalformed
	}
	q := quoted{src: netip.AddrPortFrom(src, sport), dst: netip.AddrPortFrom(dst, dport), payload: *s}
	if length >= udpHeaderLen {
		q.payloadLen = int(length) - udpHeaderLen
		q.payload = q.payload[:min(len(q.payload), q.payloadLen)]
	}
	return q, nil
}
