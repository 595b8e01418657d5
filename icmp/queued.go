package icmp

import (
	"math"
	"net/netip"

	"github.com/pathdtls/pathdtls/platform"
)

// FromQueued turns q, an entry of the error queue of the socket bound to
// local, into an Event. It reports false for an entry that does not come
// from an ICMP error message, such as a send the local host refused. The
// kernel has matched the message to the socket already, so Local is local
// and Remote the destination the entry names; the quote starts at the UDP
// payload, and QuotedLen is zero because the entry does not tell the
// datagram's length. The Event's Quote aliases q.Payload.
func FromQueued(local netip.AddrPort, q platform.QueuedError) (Event, bool) {
	var (
		h    header
		err  error
		ipv6 bool
	)
	switch q.Origin {
	case platform.OriginICMP:
		h, err = parseHeader4(q.Type, q.Code, 0)
	case platform.OriginICMP6:
		h, err = parseHeader6(q.Type, q.Code, 0)
		ipv6 = true
	default:
		return Event{}, false
	}
	if err != nil {
		return Event{}, false
	}
	ev := Event{
		Local:    unmap(local),
		Remote:   unmap(q.Dest),
		Reporter: q.Offender.Unmap(),
		Kind:     h.kind,
		Type:     h.typ,
		Code:     h.code,
		IPv6:     ipv6,
		Quote:    q.Payload,
	}
	if h.kind == KindFragNeeded || h.kind == KindPacketTooBig {
		ev.MTU = int(min(q.Info, math.MaxInt32))
	}
	return ev, true
}
