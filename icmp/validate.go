package icmp

import (
	"errors"
	"net/netip"
	"sync/atomic"
)

// Minimum MTUs: IPv6 links carry at least 1280 bytes (RFC 8200 section 5);
// Linux raises an IPv4 path MTU below 552 to 552 (its min_pmtu) rather
// than trusting it, and so does Validate.
const (
	MinMTU6 = 1280
	MinMTU4 = 552
)

// Header overheads, in bytes, between a UDP payload and the IP packet that
// carries it, with no IP options or extension headers.
const (
	overhead4 = ipv4HeaderLen + udpHeaderLen
	overhead6 = 40 + udpHeaderLen
)

// Reasons for which [Validator.Validate] rejects an event.
var (
	// ErrNotOurs means the quoted addresses or ports are not the socket's
	// and its peer's.
	ErrNotOurs = errors.New("dtls: icmp: quoted addresses are not ours")
	// ErrMTUNotBelowSize means the reported MTU is not below the size of
	// the datagram it is about, so the datagram could not have been too
	// big.
	ErrMTUNotBelowSize = errors.New("dtls: icmp: reported MTU is not below the datagram's size")
	// ErrMTUBelowMinimum means an IPv6 Packet Too Big reported an MTU below
	// 1280 (RFC 8200 section 5).
	ErrMTUBelowMinimum = errors.New("dtls: icmp: reported IPv6 MTU is below 1280")
	// ErrSizeUnknown means neither the quote nor the caller tells the size
	// of the datagram, so the MTU cannot be checked against it.
	ErrSizeUnknown = errors.New("dtls: icmp: size of the quoted datagram unknown")
	// ErrNotSent means the Matcher did not recognise the quoted bytes as
	// the start of a datagram sent recently.
	ErrNotSent = errors.New("dtls: icmp: quoted datagram was not sent recently")
)

// Matcher reports whether quote, the start of the UDP payload quoted by an
// ICMP message, belongs to a datagram sent recently. For DTLS it checks the
// content type, version, epoch and sequence number of the first record
// (RFC 6347 section 4.1).
type Matcher func(quote []byte) bool

// Validator checks ICMP events before anything acts on them and counts the
// outcomes. The zero Validator is ready to use; it is safe for concurrent
// use, but MinQuote must not change once it is in use.
type Validator struct {
	// MinQuote is the length a quote must have for the Matcher to be
	// consulted: a shorter quote, which cannot show what the Matcher looks
	// for, is accepted without it. For DTLS it is the 13 bytes of a record
	// header.
	MinQuote int

	counts [numOutcomes]atomic.Uint64
}

// outcome indexes Validator.counts.
type outcome int

const (
	accepted outcome = iota
	raised
	notOurs
	mtuNotBelowSize
	mtuBelowMinimum
	sizeUnknown
	notSent
	numOutcomes
)

// ValidatorStats counts the events a Validator has seen, by outcome.
type ValidatorStats struct {
	Accepted uint64 // events returned without an error
	Raised   uint64 // accepted IPv4 events whose MTU was raised to 552

	NotOurs         uint64 // rejected with ErrNotOurs
	MTUNotBelowSize uint64 // rejected with ErrMTUNotBelowSize
	MTUBelowMinimum uint64 // rejected with ErrMTUBelowMinimum
	SizeUnknown     uint64 // rejected with ErrSizeUnknown
	NotSent         uint64 // rejected with ErrNotSent
}

// Rejected returns the number of events rejected for any reason.
func (s ValidatorStats) Rejected() uint64 {
	return s.NotOurs + s.MTUNotBelowSize + s.MTUBelowMinimum + s.SizeUnknown + s.NotSent
}

// Stats returns the counts so far.
func (v *Validator) Stats() ValidatorStats {
	return ValidatorStats{
		Accepted:        v.counts[accepted].Load(),
		Raised:          v.counts[raised].Load(),
		NotOurs:         v.counts[notOurs].Load(),
		MTUNotBelowSize: v.counts[mtuNotBelowSize].Load(),
		MTUBelowMinimum: v.counts[mtuBelowMinimum].Load(),
		SizeUnknown:     v.counts[sizeUnknown].Load(),
		NotSent:         v.counts[notSent].Load(),
	}
}

// Validate checks ev, an event about a datagram sent from the socket bound
// to local to remote, and returns it, with an IPv4 MTU below 552 raised to
// 552, or ev as it came with one of the errors above, which the caller must
// not act on (but may log). Every call is counted.
//
// The quoted source must be local, whose address may be unspecified for a
// socket bound to all addresses; if remote is valid, the quoted destination
// must be remote. For KindFragNeeded and KindPacketTooBig, the MTU must be
// below the IP size of the datagram, taken from ev.QuotedLen or, when the
// quote does not tell it, from sentSize, the largest UDP payload the caller
// sent to remote recently. If match is not nil and the quote has at least
// MinQuote bytes, match must recognise it.
func (v *Validator) Validate(ev Event, local, remote netip.AddrPort, sentSize int, match Matcher) (Event, error) {
	checked, o, err := v.check(ev, local, remote, sentSize, match)
	v.counts[o].Add(1)
	if err != nil {
		return ev, err
	}
	if o == raised {
		v.counts[accepted].Add(1)
	}
	return checked, nil
}

// check applies the rules and returns the outcome to count.
func (v *Validator) check(ev Event, local, remote netip.AddrPort, sentSize int, match Matcher) (Event, outcome, error) {
	if !isOurs(ev.Local, local) || remote.IsValid() && !sameAddrPort(ev.Remote, remote) {
		return Event{}, notOurs, ErrNotOurs
	}
	o := accepted
	if ev.Kind == KindFragNeeded || ev.Kind == KindPacketTooBig {
		var err error
		if o, err = checkMTU(&ev, sentSize); err != nil {
			return Event{}, o, err
		}
	}
	if match != nil && len(ev.Quote) >= v.MinQuote && !match(ev.Quote) {
		return Event{}, notSent, ErrNotSent
	}
	return ev, o, nil
}

// checkMTU applies the MTU rules to ev, raising a low IPv4 MTU in place.
func checkMTU(ev *Event, sentSize int) (outcome, error) {
	o := accepted
	overhead := overhead4
	if ev.IPv6 {
		if ev.MTU < MinMTU6 {
			return mtuBelowMinimum, ErrMTUBelowMinimum
		}
		overhead = overhead6
	} else if ev.MTU < MinMTU4 {
		ev.MTU, o = MinMTU4, raised
	}
	size := ev.QuotedLen
	if size == 0 {
		size = sentSize
	}
	if size <= 0 {
		return sizeUnknown, ErrSizeUnknown
	}
	if ev.MTU >= size+overhead {
		return mtuNotBelowSize, ErrMTUNotBelowSize
	}
	return o, nil
}

// isOurs reports whether the quoted source q is the socket address local,
// whose address may be unspecified.
func isOurs(q, local netip.AddrPort) bool {
	if !q.IsValid() || !local.IsValid() || q.Port() != local.Port() {
		return false
	}
	la := local.Addr()
	return la.IsUnspecified() || sameAddr(q.Addr(), la)
}

// sameAddrPort reports whether a and b are the same address and port,
// ignoring zones and IPv4 mapping.
func sameAddrPort(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && sameAddr(a.Addr(), b.Addr())
}

// sameAddr reports whether a and b are the same address, ignoring zones,
// which an ICMP quote does not carry, and IPv4 mapping.
func sameAddr(a, b netip.Addr) bool {
	return a.Unmap().WithZone("") == b.Unmap().WithZone("")
}
