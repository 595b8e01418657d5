package dtls

import (
	"log/slog"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// maxACKNumbers bounds the record numbers a Conn keeps to acknowledge: a
// flight of a long certificate chain at a small path MTU is a few dozen
// records (RFC 9147 §7 lets an ACK name any subset).
const maxACKNumbers = 128

// maxACKWaits bounds how often a final flight is sent while no ACK comes:
// the association works without it if the peer has our Finished.
const maxACKWaits = 6

// ackState is what DTLS 1.3's acknowledgments need (RFC 9147 §7): the
// numbers of the handshake records received from the peer, to put in an
// ACK, and the last ACK sent, for a peer that sends its flight again.
type ackState struct {
	nums []record.RecordNumber
	last []byte // the last ACK's body, sent again on a retransmitted flight
	// wait says that our final flight waits for the peer's ACK, and is
	// sent again when the timer (ackTimer) runs out.
	wait     bool
	waits    int
	ackTimer retransmitTimer
	onAcked  func() // run when the peer acknowledges the flight, if not nil
}

// note remembers a handshake record received, once.
func (a *ackState) note(epoch uint16, seq uint64) {
	n := record.RecordNumber{Epoch: uint64(epoch), Seq: seq}
	for _, m := range a.nums {
		if m == n {
			return
		}
	}
	if len(a.nums) < maxACKNumbers {
		a.nums = append(a.nums, n)
	}
}

// sendACKLocked acknowledges every handshake record received since the
// last ACK, in the current epoch (RFC 9147 §7: an ACK goes in an epoch at
// least that of the records it names). c.in is held.
func (c *Conn) sendACKLocked() {
	a := &c.in.acks
	if len(a.nums) == 0 {
		return
	}
	a.last = record.AppendACK(a.last[:0], a.nums)
	a.nums = a.nums[:0]
	c.resendACKLocked()
}

// resendACKLocked sends the last ACK again: the peer retransmitted the
// flight it acknowledged, so it was lost. c.in is held.
func (c *Conn) resendACKLocked() {
	if len(c.in.acks.last) == 0 {
		return
	}
	c.out.Lock()
	err := c.writeRecordLocked(record.ACK, c.out.cur.epoch, c.in.acks.last)
	c.out.Unlock()
	if err != nil {
		c.in.lastErr = err
	}
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "ACK sent", "sent ACK (%d bytes)", slog.Int("size", len(c.in.acks.last)))
	}
}

// handleACK takes the peer's ACK (RFC 9147 §7): one that names a record of
// our final flight ends its retransmission. An ACK in epoch 0 is not
// authenticated and is ignored.
func (c *Conn) handleACK(epoch uint16, b []byte) {
	var buf [16]record.RecordNumber
	nums, err := record.ParseACK(b, buf[:0])
	if err != nil || epoch == 0 {
		c.stats.dropped.Add(1)
		return
	}
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "ACK received", "received ACK of %d record(s)", slog.Int("records", len(nums)))
	}
	a := &c.in.acks
	c.out.Lock()
	acked := a.wait && c.out.acknowledges(nums)
	if acked {
		c.out.flight, c.out.flightRecs = nil, c.out.flightRecs[:0]
	}
	c.out.Unlock()
	if !acked {
		return
	}
	a.wait = false
	if f := a.onAcked; f != nil {
		a.onAcked = nil
		f()
	}
	c.armTimerLocked()
}

// maxFlightRecords bounds the record numbers kept of the flight in
// progress, over its transmissions.
const maxFlightRecords = 256

// noteSent remembers the number of a record of the flight in progress,
// for its ACK to name. c.out is held.
func (o *outHalf) noteSent(epoch uint16) {
	if es := o.epochState(epoch); es != nil && len(o.flightRecs) < maxFlightRecords {
		o.flightRecs = append(o.flightRecs, RecordID{Epoch: epoch, Seq: es.seq})
	}
}

// acknowledges reports whether an ACK naming nums acknowledges a record of
// the flight in progress. c.out is held.
func (o *outHalf) acknowledges(nums []record.RecordNumber) bool {
	for _, n := range nums {
		for _, r := range o.flightRecs {
			if uint64(r.Epoch) == n.Epoch && r.Seq == n.Seq {
				return true
			}
		}
	}
	return false
}

// ackPostHandshake13Locked acknowledges the handshake records that came
// after a DTLS 1.3 handshake (RFC 9147 §7). c.in is held.
func (c *Conn) ackPostHandshake13Locked() {
	if c.p13 != nil && c.in.err == nil {
		c.sendACKLocked()
	}
}

// awaitACKLocked keeps the final flight just sent for retransmission until
// the peer acknowledges it (RFC 9147 §5.8.4, §7). c.in is held.
func (c *Conn) awaitACKLocked(timer retransmitTimer, onAcked func()) {
	a := &c.in.acks
	a.wait, a.waits, a.ackTimer, a.onAcked = true, 0, timer, onAcked
}

// ackTimerAt returns when the final flight is next sent again, or the
// zero time when nothing waits for an ACK. c.in is held.
func (c *Conn) ackTimerAt() time.Time {
	if !c.in.acks.wait {
		return time.Time{}
	}
	return c.in.flightSentAt.Add(c.in.acks.ackTimer.cur)
}

// ackTimeoutLocked sends the final flight again, or gives up on an ACK
// after maxACKWaits. c.in is held.
func (c *Conn) ackTimeoutLocked(now time.Time) {
	a := &c.in.acks
	if !a.wait || now.Before(c.ackTimerAt()) {
		return
	}
	a.waits++
	if a.waits > maxACKWaits {
		// The peer may have it all the same: a KeyUpdate is taken as
		// acknowledged, a final flight as received.
		a.wait = false
		c.out.Lock()
		c.out.flight, c.out.flightRecs = nil, c.out.flightRecs[:0]
		c.out.Unlock()
		if f := a.onAcked; f != nil {
			a.onAcked = nil
			f()
		}
		return
	}
	a.ackTimer.expired()
	c.retransmitLocked("no ACK of the final flight")
}
