package icmp

import (
	"fmt"
	"net/netip"
)

// Kind classifies an ICMP error message.
type Kind uint8

const (
	// KindOther is an ICMP error of any other type or code.
	KindOther Kind = iota
	// KindFragNeeded is an ICMPv4 destination unreachable, fragmentation
	// needed and DF set (type 3, code 4), carrying the next-hop MTU of
	// RFC 1191 section 4.
	KindFragNeeded
	// KindPacketTooBig is an ICMPv6 Packet Too Big (type 2, RFC 4443
	// section 3.2).
	KindPacketTooBig
	// KindPortUnreachable is an ICMPv4 port unreachable (type 3, code 3) or
	// an ICMPv6 port unreachable (type 1, code 4).
	KindPortUnreachable
	// KindHostUnreachable is an ICMPv4 host unreachable (type 3, code 1) or
	// an ICMPv6 address unreachable (type 1, code 3).
	KindHostUnreachable
	// KindTimeExceeded is an ICMPv4 (type 11) or ICMPv6 (type 3) time
	// exceeded in transit (code 0): a hop limit ran out, as it does for the
	// probes of a path trace.
	KindTimeExceeded
)

var kindNames = [...]string{
	KindOther:           "other",
	KindFragNeeded:      "fragmentation needed",
	KindPacketTooBig:    "packet too big",
	KindPortUnreachable: "port unreachable",
	KindHostUnreachable: "host unreachable",
	KindTimeExceeded:    "time exceeded",
}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Event is an ICMP error about a UDP datagram that a socket sent.
type Event struct {
	// Local is the address and port of the socket that sent the datagram,
	// and Remote the destination it was sent to. A raw ICMP message names
	// both in its quote; an error-queue entry names Remote, and Local is
	// the socket's own address as given to [FromQueued].
	Local, Remote netip.AddrPort
	// MTU is the MTU of the next hop, in bytes of IP packet, for
	// KindFragNeeded and KindPacketTooBig, and zero otherwise.
	MTU int
	// Reporter is the address of the router or host that sent the ICMP
	// message.
	Reporter netip.Addr
	// Kind classifies the message; Type and Code are its ICMP type and code.
	Kind       Kind
	Type, Code uint8
	// IPv6 reports whether the message is ICMPv6 about an IPv6 datagram.
	IPv6 bool
	// Quote is the start of the datagram's UDP payload, as much as the
	// message quoted (RFC 792 requires none of it; Linux routers quote up
	// to 548 bytes of IPv4 packet, and up to 1232 of IPv6 packet).
	Quote []byte
	// QuotedLen is the length of the datagram's whole UDP payload when the
	// quoted headers tell it, and zero otherwise.
	QuotedLen int
}

// String returns a one-line description of the event.
func (e Event) String() string {
	return fmt.Sprintf("%v from %v: %v -> %v mtu %d (quote %d bytes of %d)",
		e.Kind, e.Reporter, e.Local, e.Remote, e.MTU, len(e.Quote), e.QuotedLen)
}

// unmap returns ap with an IPv4-mapped address unmapped.
func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
