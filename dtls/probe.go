package dtls

import (
	"errors"
	"log/slog"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// Path-MTU probes after the handshake (RFC 8899 §6.2).
//
// In DTLS 1.2 and 1.0 a probe is a HeartbeatRequest padded to the size
// under test, which the peer answers (heartbeat.go). DTLS 1.3 has no
// heartbeats, and no message whose only effect is an answer; but every
// handshake message is acknowledged (RFC 9147 §7), and a KeyUpdate may be
// sent at any time (RFC 8446 §4.6.3). A DTLS 1.3 probe is therefore a
// record carrying a KeyUpdate, padded (RFC 8446 §5.4) to the size under
// test: the peer's ACK naming that record proves the size. The KeyUpdate
// is a real one: once acknowledged, by this record or another, we send
// with the next epoch's keys, which costs the peer one key derivation. A
// probe that is lost leaves the KeyUpdate to be delivered: it is sent
// again, unpadded, by the ACK timer, and a later probe sends it again,
// padded to its own size, as another record of the same message. So probes
// never wait for one another, and the peer sees at most one KeyUpdate of
// ours at a time, as RFC 9147 §8 wants.

// ErrProbeTooSmall is SendProbe's error for a size that cannot hold a
// probe.
var ErrProbeTooSmall = errors.New("dtls: probe size too small")

// ProbeAllowed reports whether the path can be probed in-band: in DTLS
// 1.3 always (a padded KeyUpdate, which the peer acknowledges), before it
// only if the peer accepts heartbeats (RFC 6520). False before the
// handshake completes.
func (c *Conn) ProbeAllowed() bool {
	if c.v13.Load() {
		return c.handshakeDone.Load()
	}
	return c.HeartbeatAllowed()
}

// SetProbeHandler sets f to be called with the payload of each probe that
// the peer answered: the HeartbeatResponse of the outstanding request in
// DTLS 1.2, the ACK of a probe's record in DTLS 1.3. f runs without the
// Conn's locks held.
func (c *Conn) SetProbeHandler(f func(payload []byte)) { c.SetHeartbeatHandler(f) }

// SendProbe sends a probe of the path carrying payload (at most 64 bytes
// in DTLS 1.3, where it is not sent but kept until the ACK), padded so that
// its datagram is as close to size bytes as the cipher allows without
// exceeding it, and returns the datagram's length. Like SendHeartbeat, it
// ignores the path's current size. Only the last probe's answer is
// reported to the handler.
func (c *Conn) SendProbe(payload []byte, size int) (int, error) {
	if !c.v13.Load() {
		return c.SendHeartbeat(payload, size)
	}
	if !c.ProbeAllowed() {
		return 0, ErrHeartbeatNotAllowed
	}
	if err := c.writable(); err != nil {
		return 0, err
	}
	c.in.Lock()
	n, err := c.sendProbe13Locked(payload, size)
	c.in.Unlock()
	c.flushEvents()
	return n, err
}

// sendProbe13Locked sends the pending KeyUpdate, or a new one, in a record
// padded to size. c.in is held.
func (c *Conn) sendProbe13Locked(payload []byte, size int) (int, error) {
	if c.in.err != nil {
		return 0, c.in.err
	}
	p, a := c.p13, &c.in.acks
	if !p.updating {
		// A new KeyUpdate, whose first transmission is the probe.
		if err := c.keyUpdateLocked(false, false); err != nil {
			return 0, err
		}
	}
	c.out.Lock()
	defer c.out.Unlock()
	i := slices.IndexFunc(c.out.flight, func(o fragment.Out) bool { return o.Type == handshake.TypeKeyUpdate })
	if i < 0 {
		return 0, errors.New("dtls: internal error: no KeyUpdate to probe with")
	}
	ku := c.out.flight[i]
	msg := (&handshake.Header{Type: ku.Type, Length: uint32(len(ku.Body)), MessageSeq: ku.Seq, FragmentLength: uint32(len(ku.Body))}).Append(nil)
	msg = append(msg, ku.Body...)
	es := c.out.epochState(ku.Epoch)
	if es == nil || es.c13 == nil {
		return 0, errors.New("dtls: internal error: no DTLS 1.3 write state for the KeyUpdate")
	}
	padding := size - c.out.recordLen(ku.Epoch, len(msg))
	if padding < 0 {
		return 0, ErrProbeTooSmall
	}
	id := RecordID{Epoch: ku.Epoch, Seq: es.seq}
	c.out.trimSent(maxProbeRecords)
	c.out.noteSent(fragment.Record{Epoch: ku.Epoch, Type: uint8(record.Handshake), Payload: msg})
	bp := sendBuffers.Get().(*[]byte)
	defer putSendBuffer(bp)
	b, err := c.out.appendPadded((*bp)[:0], record.Handshake, ku.Epoch, msg, padding)
	*bp = b
	if err != nil {
		c.out.err = err
		return 0, err
	}
	c.out.sizeSent(len(c.out.sent)-1, len(b))
	a.probe, a.probePayload = id, append(a.probePayload[:0], payload...)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "probe sent", "sent a %d-byte KeyUpdate probe", slog.Int("size", len(b)))
	}
	return len(b), c.link.WriteDatagram(b, id)
}

// probeAcked delivers the payload of the probe whose record an ACK named.
// c.in is held.
func (c *Conn) probeAcked(nums []record.RecordNumber) {
	a := &c.in.acks
	if a.probePayload == nil {
		return
	}
	for _, n := range nums {
		if n.Epoch == uint64(a.probe.Epoch) && n.Seq == a.probe.Seq {
			c.in.ev.heartbeats = append(c.in.ev.heartbeats, a.probePayload)
			a.probePayload = nil
			return
		}
	}
}
