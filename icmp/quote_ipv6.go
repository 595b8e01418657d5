package icmp

import (
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
)

// IPv6 next-header values of the extension headers that may come before
// the UDP header (RFC 8200 section 4).
const (
	ipv6HopByHop = 0
	ipv6Routing  = 43
	ipv6Fragment = 44
	ipv6DestOpts = 60
)

// parseQuote6 parses the quoted IPv6 header (RFC 8200 section 3), any
// hop-by-hop, routing, fragment and destination options headers, and the UDP
// header (RFC 768) that start the quote of an ICMPv6 error message.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Traffic Class |           Flow Label                  |
//	|         Payload Length        |  Next Header  |   Hop Limit   |
//	|                   Source Address (128 bits)                   |
//	|                Destination Address (128 bits)                 |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   extension headers, then the UDP header as in parseQuote4    |
func parseQuote6(b []byte) (quoted, error) {
	s := cryptobyte.String(b)
	var (
		vtcfl        uint32
		payloadLen   uint16
		next         uint8
		srcIP, dstIP [16]byte
	)
	if !s.ReadUint32(&vtcfl) || !s.ReadUint16(&payloadLen) || !s.ReadUint8(&next) ||
		!s.Skip(1) || !s.CopyBytes(srcIP[:]) || !s.CopyBytes(dstIP[:]) {
		return quoted{}, ErrMalformed
	}
	if vtcfl>>28 != 6 {
		return quoted{}, ErrMalformed
	}
	if err := skipExtensionHeaders(&s, next); err != nil {
		return quoted{}, err
	}
	return parseUDP(&s, netip.AddrFrom16(srcIP), netip.AddrFrom16(dstIP))
}

// skipExtensionHeaders reads the extension headers that start s, the first
// of type next, up to a UDP header.
func skipExtensionHeaders(s *cryptobyte.String, next uint8) error {
	for next != protoUDP {
		var (
			hdrLen uint8
			frag   uint16
		)
		switch next {
		case ipv6HopByHop, ipv6Routing, ipv6DestOpts:
			// Next Header, Hdr Ext Len in 8-octet units not counting the
			// first 8 octets, then options.
			if !s.ReadUint8(&next) || !s.ReadUint8(&hdrLen) || !s.Skip(6+8*int(hdrLen)) {
				return ErrMalformed
			}
		case ipv6Fragment:
			// Next Header, Reserved, Fragment Offset and flags,
			// Identification.
			if !s.ReadUint8(&next) || !s.Skip(1) || !s.ReadUint16(&frag) || !s.Skip(4) {
				return ErrMalformed
			}
			if frag>>3 != 0 {
				return ErrNotUDP
			}
		default:
			return ErrNotUDP
		}
	}
	return nil
}
