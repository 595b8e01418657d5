package pmtu

import (
	"net/netip"
	"strconv"
	"time"
)

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

// HeaderLen returns the bytes of IP and UDP header in front of a UDP payload
// with no IP options or extension headers: 20+8 for IPv4 (RFC 791, RFC 768)
// and 40+8 for IPv6 (RFC 8200).
func (f Family) HeaderLen() int {
	if f == IPv6 {
		return 48
	}
	return 28
}

// MinMTU returns the smallest MTU a link of this family may have: 68 bytes
// for IPv4 (RFC 791) and 1280 bytes for IPv6 (RFC 8200, Section 5).
func (f Family) MinMTU() int {
	if f == IPv6 {
		return 1280
	}
	return 68
}

// Floor returns the default MIN_PLPMTU of RFC 8899 Section 5.1.2 for this
// family, as an IP-level MTU: 576 bytes for IPv4, the datagram size every
// IPv4 host must accept (RFC 791, RFC 1122 Section 3.3.3), and 1280 bytes for
// IPv6 (RFC 8200, Section 5).
func (f Family) Floor() int {
	if f == IPv6 {
		return 1280
	}
	return 576
}

// base returns the default BASE_PLPMTU (RFC 8899 Section 5.1.2) as an
// IP-level MTU. The RFC recommends 1200 bytes; for IPv6 that is raised to
// 1280, which every IPv6 path carries.
func (f Family) base() int {
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

// Defaults for the fields of Config.
const (
	// DefaultMaxProbes is MAX_PROBES of RFC 8899 Section 5.1.2.
	DefaultMaxProbes = 3
	// DefaultProbeTimeout is the PROBE_TIMER of RFC 8899 Section 5.1.1,
	// which must not be smaller than 1 second.
	DefaultProbeTimeout = 1 * time.Second
	// DefaultRaiseTimeout is the PMTU_RAISE_TIMER of RFC 8899 Section 5.1.1
	// (600 seconds, as RFC 4821 recommends). It is also the age after which a
	// size learnt from ICMP alone is forgotten (RFC 8201 Section 4).
	DefaultRaiseTimeout = 600 * time.Second
	// DefaultConfirmTimeout is the CONFIRMATION_TIMER of RFC 8899
	// Section 5.1.1, for a packetization layer such as DTLS whose data is not
	// acknowledged. It is shorter than the raise timer so that a black hole
	// is found before much data has been lost into it.
	DefaultConfirmTimeout = 60 * time.Second
	// DefaultMax is the initial estimate when the interface MTU is unknown:
	// an Ethernet MTU.
	DefaultMax = 1500
	// maxMTU is the largest IP datagram: the 16-bit total length field.
	maxMTU = 65535
)

// DefaultPlateaus lists the MTUs a search tries first, largest first (RFC
// 8899 Section 5.3.2; RFC 1191 Section 7): jumbo Ethernet, Ethernet, PPPoE,
// IPv6-in-IPv4 and IP-in-IP, GRE, VXLAN, WireGuard over IPv4 and over IPv6,
// common VPN settings, the IPv6 minimum, BASE_PLPMTU and the IPv4 floor.
var DefaultPlateaus = []int{9000, 1500, 1492, 1480, 1476, 1460, 1450, 1440, 1420, 1400, 1380, 1280, 1200, 1006, 576}

// A Config describes one path for New. The zero value is an IPv4 path with an
// Ethernet interface and the RFC 8899 defaults.
type Config struct {
	// Family is the IP version of the path; zero means IPv4.
	Family Family

	// Min is MIN_PLPMTU (RFC 8899 Section 5.1.2): the size is never set
	// below it, and an ICMP message reporting less is discarded (Section
	// 4.6.2). Zero means Family.Floor(); values below Family.MinMTU() are
	// raised to it.
	Min int

	// Base is BASE_PLPMTU (RFC 8899 Section 5.1.2): the size that is
	// confirmed first, and the one a black hole falls back to. Zero means
	// 1200 for IPv4 and 1280 for IPv6. It is kept within [Min, Max].
	Base int

	// Max is MAX_PLPMTU (RFC 8899 Section 5.1.2): the interface MTU of the
	// route, which is also the initial estimate. Zero means DefaultMax. It is
	// kept within [Min, 65535].
	Max int

	// MaxProbes is MAX_PROBES (RFC 8899 Section 5.1.2): how many times a size
	// must be lost before it is taken as too big. Zero means
	// DefaultMaxProbes.
	MaxProbes int

	// ProbeTimeout is the PROBE_TIMER (RFC 8899 Section 5.1.1): a probe not
	// acknowledged within it is lost. RFC 8899 requires at least 1 second
	// unless the round-trip time is known. Zero means DefaultProbeTimeout.
	ProbeTimeout time.Duration

	// RaiseTimeout is the PMTU_RAISE_TIMER (RFC 8899 Section 5.1.1). Zero
	// means DefaultRaiseTimeout.
	RaiseTimeout time.Duration

	// ConfirmTimeout is the CONFIRMATION_TIMER (RFC 8899 Section 5.1.1).
	// Zero means DefaultConfirmTimeout.
	ConfirmTimeout time.Duration

	// Plateaus are the sizes a search tries before it bisects to the byte,
	// in any order. Nil means DefaultPlateaus; an empty non-nil slice means
	// plain bisection.
	Plateaus []int
}

// normalize returns c with every default filled in and every bound enforced.
func (c Config) normalize() Config {
	if c.Family != IPv6 {
		c.Family = IPv4
	}
	if c.Min == 0 {
		c.Min = c.Family.Floor()
	}
	c.Min = clamp(c.Min, c.Family.MinMTU(), maxMTU)
	if c.Max == 0 {
		c.Max = DefaultMax
	}
	c.Max = clamp(c.Max, c.Min, maxMTU)
	if c.Base == 0 {
		c.Base = c.Family.base()
	}
	c.Base = clamp(c.Base, c.Min, c.Max)
	if c.MaxProbes <= 0 {
		c.MaxProbes = DefaultMaxProbes
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.RaiseTimeout <= 0 {
		c.RaiseTimeout = DefaultRaiseTimeout
	}
	if c.ConfirmTimeout <= 0 {
		c.ConfirmTimeout = DefaultConfirmTimeout
	}
	if c.Plateaus == nil {
		c.Plateaus = DefaultPlateaus
	}
	c.Plateaus = sortedPlateaus(c.Plateaus, c.Min, c.Max)
	return c
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
