package pmtu

import (
	"cmp"
	"net/netip"
	"strconv"
)

// An MTU is a size in bytes of an IP packet, its IP and UDP headers
// included: a path MTU, a probe size, a cap. A UDP payload size is a plain
// int; [Family.Payload] and [Family.MTU] convert between the two.
type MTU int

// maxMTU is the largest IP datagram: the 16-bit total length field.
const maxMTU MTU = 65535

// A Family is the IP version of a path. It decides the header overhead and
// the smallest MTU a path may have.
type Family uint8

// The two IP versions.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// FamilyOf returns the family of addr. An IPv4-mapped IPv6 address is IPv4,
// because that is what goes on the wire.
func FamilyOf(addr netip.Addr) Family {
	if addr.Is4() || addr.Is4In6() {
		return IPv4
	}
	return IPv6
}

// headerLen returns the bytes of IP and UDP header in front of a UDP
// payload with no IP options or extension headers: 20+8 for IPv4 (RFC 791,
// RFC 768) and 40+8 for IPv6 (RFC 8200). It is the only place that knows
// them; everything else converts through Payload and MTU.
func (f Family) headerLen() int {
	if f == IPv6 {
		return 48
	}
	return 28
}

// Payload returns the largest UDP payload that an IP packet of m bytes
// carries: m less the IP and UDP headers, never negative.
func (f Family) Payload(m MTU) int {
	return max(0, int(m)-f.headerLen())
}

// MTU returns the size of the IP packet that carries a UDP payload of
// payload bytes: payload plus the IP and UDP headers. A negative payload
// counts as empty.
func (f Family) MTU(payload int) MTU {
	return MTU(max(0, payload) + f.headerLen())
}

// MinMTU returns the smallest MTU a link of this family may have: 68 bytes
// for IPv4 (RFC 791) and 1280 bytes for IPv6 (RFC 8200, Section 5).
func (f Family) MinMTU() MTU {
	if f == IPv6 {
		return 1280
	}
	return 68
}

// Floor returns the default MIN_PLPMTU of RFC 8899 Section 5.1.2 for this
// family: 576 bytes for IPv4, the datagram size every IPv4 host must accept
// (RFC 791, RFC 1122 Section 3.3.3), and 1280 bytes for IPv6 (RFC 8200,
// Section 5). It is also the lowest rung of the handshake backoff ladder.
func (f Family) Floor() MTU {
	if f == IPv6 {
		return 1280
	}
	return 576
}

// base returns the default BASE_PLPMTU (RFC 8899 Section 5.1.2). The RFC
// recommends 1200 bytes; for IPv6 that is raised to 1280, which every IPv6
// path carries.
func (f Family) base() MTU {
	if f == IPv6 {
		return 1280
	}
	return 1200
}

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// clamp returns v within [lo, hi]; lo wins when hi < lo.
func clamp[T cmp.Ordered](v, lo, hi T) T {
	return max(lo, min(v, hi))
}
