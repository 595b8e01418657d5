package dtls

import (
	"fmt"
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
	due      time.Time // when the pending ACK of a partial flight goes out; zero for none
	ackTimer retransmitTimer
	onAcked  func() // run when the peer acknowledges the flight, if not nil
	// probe is the record of the last path-MTU probe, whose ACK delivers
	// probePayload to the probe handler (probe.go).
	probe        RecordID
	probePayload []byte
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
	if c.in.hs == nil {
		// After the handshake each ACK covers its messages; during it,
		// every ACK names all the flight's records received, since an
		// ACK may be lost (RFC 9147 §7.1).
		a.nums = a.nums[:0]
	}
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
	if hs := c.in.hs; hs != nil {
		if hs.waiting {
			c.handshakeACKLocked(nums)
		}
		return
	}
	a := &c.in.acks
	c.probeAcked(nums)
	c.out.Lock()
	acked := a.wait && c.out.markAcked(nums)
	if acked {
		// Done when no message of the flight is left unacknowledged.
		if c.out.flight = c.out.unacked(); len(c.out.flight) == 0 {
			c.out.flight = nil
			c.out.releaseSent()
		} else {
			acked = false
		}
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
// after maxACKWaits for a flight that nothing waits on. c.in is held.
func (c *Conn) ackTimeoutLocked(now time.Time) {
	a := &c.in.acks
	if !a.wait || now.Before(c.ackTimerAt()) {
		return
	}
	a.waits++
	if a.waits > maxACKWaits && a.onAcked == nil {
		// The peer may have the flight all the same: it is taken as
		// received. A flight with onAcked, a KeyUpdate's, goes on being
		// sent until acknowledged, since our keys change only then (RFC
		// 9147 §8).
		a.wait = false
		c.out.Lock()
		c.out.flight = nil
		c.out.releaseSent()
		c.out.Unlock()
		return
	}
	a.ackTimer.expired()
	c.retransmitLocked("no ACK of the final flight")
}

// handshakeACKLocked takes an ACK of part of the flight in progress (RFC
// 9147 §7.2): what it names is not sent again, and what it does not is sent
// again now, rather than at the timer. When the records that got through
// all came in datagrams smaller than every one that did not, the path is
// taken to drop datagrams of that size, as a timeout would have said one
// round trip later: the path's estimate backs off before the rest goes
// again, fragmented smaller. c.in is held.
func (c *Conn) handshakeACKLocked(nums []record.RecordNumber) {
	c.out.Lock()
	if !c.out.markAcked(nums) {
		c.out.Unlock()
		return
	}
	acked, lostMin, lostMax := c.out.ackSizes()
	c.out.flight = c.out.unacked()
	left := len(c.out.flight)
	c.out.Unlock()
	if acked > 0 {
		c.link.FlightAnswered(acked)
	}
	if left == 0 || time.Since(c.in.flightSentAt) < minRetransmitGap {
		return // all of it arrived: the peer's answer will come
	}
	why := "ACK: records lost"
	if lostMin > acked {
		c.link.FlightLost(lostMax)
		why = fmt.Sprintf("ACK: no datagram over %d bytes got through", acked)
	}
	c.retransmitLocked(why)
}

// ackDelay is how long a partial flight waits before its records are
// acknowledged: a quarter of the retransmission timer, as RFC 9147 §7.1
// suggests, long enough for the rest of a flight sent at once to arrive.
func (c *Conn) ackDelay() time.Duration {
	if hs := c.in.hs; hs != nil {
		return max(hs.timer.cur/4, 10*time.Millisecond)
	}
	return c.config.retransmitTimeout() / 4
}

// scheduleACKLocked arms the ACK of a partial flight of the peer's, during
// a DTLS 1.3 handshake: a flight that completes before it goes out is
// answered by our next flight instead (RFC 9147 §7.1). c.in is held.
func (c *Conn) scheduleACKLocked() {
	hs, a := c.in.hs, &c.in.acks
	if hs == nil || hs.vers != VersionDTLS13 || len(a.nums) == 0 || !a.due.IsZero() {
		return
	}
	a.due = time.Now().Add(c.ackDelay())
	c.armTimerLocked()
}

// ackDueLocked sends the pending ACK once its time has come. c.in is held.
func (c *Conn) ackDueLocked(now time.Time) {
	a := &c.in.acks
	if a.due.IsZero() || now.Before(a.due) {
		return
	}
	a.due = time.Time{}
	if c.in.hs != nil {
		c.sendACKLocked()
	}
}
