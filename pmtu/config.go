package pmtu

import (
	"math"
	"slices"
	"time"
)

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
	// DefaultMax is MAX_PLPMTU when the interface MTU is unknown: an
	// Ethernet MTU.
	DefaultMax MTU = 1500
)

// DefaultPlateaus lists the MTUs a search tries first, largest first (RFC
// 8899 Section 5.3.2; RFC 1191 Section 7): jumbo Ethernet, Ethernet, PPPoE,
// IPv6-in-IPv4 and IP-in-IP, GRE, VXLAN, WireGuard over IPv4 and over IPv6,
// common VPN settings, the IPv6 minimum, BASE_PLPMTU and the IPv4 floor.
var DefaultPlateaus = []MTU{9000, 1500, 1492, 1480, 1476, 1460, 1450, 1440, 1420, 1400, 1380, 1280, 1200, 1006, 576}

// A Config describes one path for New. The zero value is an IPv4 path with an
// Ethernet interface and the RFC 8899 defaults.
type Config struct {
	// Family is the IP version of the path; zero means IPv4.
	Family Family

	// Min is MIN_PLPMTU (RFC 8899 Section 5.1.2): the size is never set
	// below it, and an ICMP message reporting less is discarded (Section
	// 4.6.2). Zero means Family.Floor(); values below Family.MinMTU() are
	// raised to it.
	Min MTU

	// Base is BASE_PLPMTU (RFC 8899 Section 5.1.2): the size that is
	// confirmed first, and the one a black hole falls back to. Zero means
	// 1200 for IPv4 and 1280 for IPv6. It is kept within [Min, Max].
	Base MTU

	// Max is MAX_PLPMTU (RFC 8899 Section 5.1.2): the interface MTU of the
	// route, the largest size ever used or probed. Zero means DefaultMax. It
	// is kept within [Min, 65535].
	Max MTU

	// Initial is the first estimate, the size a handshake starts with: for
	// example what the last association to this destination learned (see
	// Search.Learned and Cache). Zero means Max; it is kept within [Min,
	// Max]. An Initial below Max is not a limit: the search probes up to
	// Max, and in Disabled the estimate returns to Max when the raise timer
	// expires, as a size learnt from ICMP does (RFC 8201 Section 4).
	Initial MTU

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
	Plateaus []MTU
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
	if c.Initial == 0 {
		c.Initial = c.Max
	}
	c.Initial = clamp(c.Initial, c.Min, c.Max)
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
	if p, ok := defaultPlateausWithin(c.Plateaus, c.Min, c.Max); ok {
		c.Plateaus = p
	} else {
		c.Plateaus = sortedPlateaus(c.Plateaus, c.Min, c.Max)
	}
	return c
}

// defaultSorted is DefaultPlateaus as sortedPlateaus leaves them, made
// once: every Search of the default plateaus shares a part of it, which
// nothing writes.
var defaultSorted = sortedPlateaus(DefaultPlateaus, 0, math.MaxInt32)

// defaultPlateausWithin returns sortedPlateaus(in, lo, hi) without
// allocating, as a part of defaultSorted, if in holds the default
// plateaus as they were at start.
func defaultPlateausWithin(in []MTU, lo, hi MTU) ([]MTU, bool) {
	if !slices.Equal(in, DefaultPlateaus) || !slices.Equal(DefaultPlateaus, defaultPlateausAtStart) {
		return nil, false
	}
	i := 0
	for i < len(defaultSorted) && defaultSorted[i] > hi {
		i++
	}
	j := i
	for j < len(defaultSorted) && defaultSorted[j] >= lo {
		j++
	}
	return defaultSorted[i:j:j], true
}

// defaultPlateausAtStart is what DefaultPlateaus held when defaultSorted
// was made.
var defaultPlateausAtStart = slices.Clone(DefaultPlateaus)
