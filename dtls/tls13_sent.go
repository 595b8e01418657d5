package dtls

import (
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// A sentRecord is a record that carried part of the flight in progress:
// its number, which the peer's ACK names (RFC 9147 §7), the size of the
// datagram that carried it, and the handshake fragments it held, so that
// a retransmission sends only what was not acknowledged, and the sizes of
// what was and was not tell a path that drops large datagrams.
type sentRecord struct {
	id       RecordID
	size     int
	from, to int // its fragments, in outHalf.sentFrags
	acked    bool
}

// A sentFrag is the part [from, to) of the body of message seq.
type sentFrag struct {
	epoch    uint16
	seq      uint16
	from, to int
}

// maxFlightRecords bounds the records kept of the flight in progress,
// over its transmissions; those after are not tracked, and so never
// acknowledged: they are sent again until the flight is answered.
const maxFlightRecords = 256

// resetSent forgets the records of the last flight. c.out is held.
func (o *outHalf) resetSent() {
	o.sent, o.sentFrags = o.sent[:0], o.sentFrags[:0]
}

// releaseSent forgets the records of a flight that is done, and lets their
// memory go: a flight of probes or of a long chain may have grown them,
// and an idle association should not keep that. c.out is held.
func (o *outHalf) releaseSent() {
	o.sent, o.sentFrags = nil, nil
}

// maxProbeRecords is how many records of a KeyUpdate that probes a silent
// peer are kept, the newest: each probe is another record of the same
// flight, and an ACK of one of the newest is as good as any.
const maxProbeRecords = 4

// trimSent keeps the newest keep records of the flight once it has 2*keep.
// c.out is held.
func (o *outHalf) trimSent(keep int) {
	if len(o.sent) < 2*keep {
		return
	}
	drop := len(o.sent) - keep
	cut := o.sent[drop].from
	o.sent = append(o.sent[:0], o.sent[drop:]...)
	o.sentFrags = append(o.sentFrags[:0], o.sentFrags[cut:]...)
	for i := range o.sent {
		o.sent[i].from -= cut
		o.sent[i].to -= cut
	}
}

// noteSent remembers r, about to be sealed as the next record of its
// epoch. c.out is held.
func (o *outHalf) noteSent(r fragment.Record) {
	es := o.epochState(r.Epoch)
	if es == nil || len(o.sent) >= maxFlightRecords {
		return
	}
	s := sentRecord{id: RecordID{Epoch: r.Epoch, Seq: es.seq}, from: len(o.sentFrags)}
	if r.Type == uint8(record.Handshake) {
		for b := r.Payload; len(b) > 0; {
			h, frag, rest, ok := handshake.ParseFragment(b)
			if !ok {
				break
			}
			off := int(h.FragmentOffset)
			o.sentFrags = append(o.sentFrags, sentFrag{epoch: r.Epoch, seq: h.MessageSeq, from: off, to: off + len(frag)})
			b = rest
		}
	}
	s.to = len(o.sentFrags)
	o.sent = append(o.sent, s)
}

// sizeSent sets the datagram size of the records noted since index start.
// c.out is held.
func (o *outHalf) sizeSent(start, size int) {
	for i := start; i < len(o.sent); i++ {
		o.sent[i].size = size
	}
}

// markAcked marks the records of the flight that nums names, and reports
// whether any was. c.out is held.
func (o *outHalf) markAcked(nums []record.RecordNumber) bool {
	any := false
	for _, n := range nums {
		for i := range o.sent {
			if s := &o.sent[i]; uint64(s.id.Epoch) == n.Epoch && s.id.Seq == n.Seq {
				s.acked, any = true, true
			}
		}
	}
	return any
}

// unacked returns the flight reduced to what no acknowledged record
// carried: whole messages, or the ranges of a message the peer lacks
// (RFC 9147 §7.2). c.out is held.
func (o *outHalf) unacked() []fragment.Out {
	var out []fragment.Out
	for _, it := range o.flight {
		if it.CCS {
			out = append(out, it)
			continue
		}
		out = append(out, o.missingRanges(it)...)
	}
	return out
}

// missingRanges returns the parts of item it that no acknowledged record
// carried.
func (o *outHalf) missingRanges(it fragment.Out) []fragment.Out {
	lo, hi := it.From, len(it.Body)
	if it.To != 0 {
		hi = it.To
	}
	var got [][2]int
	for _, s := range o.sent {
		if !s.acked {
			continue
		}
		for _, f := range o.sentFrags[s.from:s.to] {
			if f.epoch == it.Epoch && f.seq == it.Seq && f.to > lo && f.from < hi {
				got = append(got, [2]int{max(f.from, lo), min(f.to, hi)})
			}
		}
	}
	if len(got) == 0 {
		return []fragment.Out{it}
	}
	slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
	var out []fragment.Out
	at := lo
	for _, g := range got {
		if g[0] > at {
			out = append(out, withRange(it, at, g[0]))
		}
		at = max(at, g[1])
	}
	if at < hi {
		out = append(out, withRange(it, at, hi))
	}
	return out
}

func withRange(it fragment.Out, from, to int) fragment.Out {
	it.From, it.To, it.NewDatagram = from, to, false
	return it
}

// ackSizes returns the largest datagram an acknowledged record came in,
// and the smallest and largest of those whose records were not.
func (o *outHalf) ackSizes() (acked, lostMin, lostMax int) {
	for _, s := range o.sent {
		switch {
		case s.acked:
			acked = max(acked, s.size)
		case lostMin == 0 || s.size < lostMin:
			lostMin, lostMax = s.size, max(lostMax, s.size)
		default:
			lostMax = max(lostMax, s.size)
		}
	}
	return acked, lostMin, lostMax
}
