package icmp

import (
	"errors"
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
)

// IANA protocol numbers of ICMP, for [ParseICMP].
const (
	ProtocolICMP   = 1  // ICMP for IPv4
	ProtocolICMPv6 = 58 // ICMP for IPv6
)

// Errors returned by [ParseICMP].
var (
	// ErrNotError means the message is not an ICMP error message (for
	// example an echo request) and quotes no datagram.
	ErrNotError = errors.New("dtls: icmp: not an ICMP error message")
	// ErrNotUDP means the quoted datagram is not UDP, or is a fragment
	// other than the first, so it names no ports.
	ErrNotUDP = errors.New("dtls: icmp: quoted datagram is not a UDP datagram")
	// ErrMalformed means the message or its quote is truncated or does not
	// follow RFC 792, RFC 4443 or RFC 4884.
	ErrMalformed = errors.New("dtls: icmp: malformed ICMP message")
	// ErrChecksum means an ICMPv4 message's checksum is wrong. (ICMPv6
	// checksums cover a pseudo-header and are checked by the kernel.)
	ErrChecksum = errors.New("dtls: icmp: bad ICMP checksum")
)

// header is what ParseICMP learns from the ICMP header.
type header struct {
	kind       Kind
	typ, code  uint8
	mtu        int
	quoteWords int // RFC 4884 length of the quote, in units of unit bytes; 0 if absent
	unit       int
}

// ParseICMP parses msg, a whole ICMPv4 (proto [ProtocolICMP], RFC 792) or
// ICMPv6 (proto [ProtocolICMPv6], RFC 4443) error message as read from a raw
// socket, without the IP header, and the start of the UDP datagram it
// quotes, into an Event from reporter. The next-hop MTU of an ICMPv4
// "fragmentation needed" is read from bytes 6 and 7 of the message
// (RFC 1191 section 4). If the message has an RFC 4884 length, the quote
// ends there and the extensions that follow are ignored. The Event's Quote
// is a copy.
func ParseICMP(proto int, msg []byte, reporter netip.Addr) (Event, error) {
	s := cryptobyte.String(msg)
	var (
		typ, code uint8
		word      uint32
	)
	if !s.ReadUint8(&typ) || !s.ReadUint8(&code) || !s.Skip(2) || !s.ReadUint32(&word) {
		return Event{}, ErrMalformed
	}
	var (
		h   header
		err error
	)
	switch proto {
	case ProtocolICMP:
		h, err = parseHeader4(typ, code, word)
		if err == nil && checksum(msg) != 0 {
			err = ErrChecksum
		}
	case ProtocolICMPv6:
		h, err = parseHeader6(typ, code, word)
	default:
		return Event{}, errors.New("dtls: icmp: protocol is neither ICMP nor ICMPv6")
	}
	if err != nil {
		return Event{}, err
	}
	quote := []byte(s)
	if h.quoteWords > 0 {
		// RFC 4884 section 4: the quote is padded to the length field and
		// followed by an extension structure.
		if !s.ReadBytes(&quote, h.quoteWords*h.unit) {
			return Event{}, ErrMalformed
		}
	}
	ev := Event{Kind: h.kind, Type: h.typ, Code: h.code, MTU: h.mtu, IPv6: proto == ProtocolICMPv6, Reporter: reporter.Unmap()}
	var q quoted
	if ev.IPv6 {
		q, err = parseQuote6(quote)
	} else {
		q, err = parseQuote4(quote)
	}
	if err != nil {
		return Event{}, err
	}
	ev.Local, ev.Remote, ev.QuotedLen = q.src, q.dst, q.payloadLen
	ev.Quote = append([]byte(nil), q.payload...)
	return ev, nil
}

// checksum returns the Internet checksum of b (RFC 1071), which is zero
// over a message whose checksum field is right.
func checksum(b []byte) uint16 {
	var sum uint32
	s := cryptobyte.String(b)
	for {
		var w uint16
		if !s.ReadUint16(&w) {
			break
		}
		sum += uint32(w)
	}
	var last uint8
	if s.ReadUint8(&last) {
		sum += uint32(last) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
