package platform

import (
	"fmt"
	"net/netip"
	"syscall"
)

// Origin says where an error read from the socket's error queue came from.
type Origin uint8

const (
	// OriginUnknown is an origin this package does not know.
	OriginUnknown Origin = iota
	// OriginLocal is the local host: a send the kernel refused, for example
	// because it was larger than the interface MTU.
	OriginLocal
	// OriginICMP is an ICMPv4 message (RFC 792).
	OriginICMP
	// OriginICMP6 is an ICMPv6 message (RFC 4443).
	OriginICMP6
)

// String returns the origin's name.
func (o Origin) String() string {
	switch o {
	case OriginUnknown:
		return "unknown"
	case OriginLocal:
		return "local"
	case OriginICMP:
		return "icmp"
	case OriginICMP6:
		return "icmp6"
	}
	return fmt.Sprintf("Origin(%d)", uint8(o))
}

// QueuedError is one entry of a socket's error queue: an ICMP error about a
// datagram the socket sent, or a send the local host refused.
type QueuedError struct {
	// Errno is the error the entry stands for: EMSGSIZE for "fragmentation
	// needed", "Packet Too Big" and a local refusal, ECONNREFUSED for a port
	// unreachable, and so on.
	Errno syscall.Errno
	// Origin says where the entry came from.
	Origin Origin
	// Type and Code are the ICMP type and code; zero for a local error.
	Type, Code uint8
	// Info is the MTU for "fragmentation needed" (RFC 1191), "Packet Too
	// Big" (RFC 8201) and a local EMSGSIZE, and zero otherwise.
	Info uint32
	// Offender is the address of the node that reported the error: the
	// router that sent the ICMP message. It is the zero Addr for a local
	// error. On a dual-stack socket an IPv4 offender is IPv4-mapped.
	Offender netip.Addr
	// Dest is the destination of the datagram the error is about, as the
	// socket names it (IPv4-mapped for IPv4 on a dual-stack socket).
	Dest netip.AddrPort
	// Payload is the start of that datagram's UDP payload, as much as the
	// ICMP message quoted (on Linux at most 520 bytes for ICMPv4 and 1184
	// for ICMPv6); it is empty for a local error.
	Payload []byte
}
