package dtls

import (
	"errors"
	"log/slog"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// post13 is a DTLS 1.3 association's state after its handshake: the
// traffic secrets of both directions, from which KeyUpdate derives the
// next epoch's (RFC 8446 §4.6.3, §7.2; RFC 9147 §8), and the message_seq
// of the next handshake message we send. It is guarded by c.in's lock.
type post13 struct {
	suite       *suite13
	read, write []byte // the current traffic secrets
	sendSeq     uint16
	// updating says that our KeyUpdate waits for its ACK: until then we
	// send with the old keys, and send no other KeyUpdate (RFC 9147 §8).
	updating bool
	// resumption is a client's resumption master secret, from which a
	// NewSessionTicket's PSK derives, and sessionKey its key in the
	// session cache.
	resumption []byte
	sessionKey string
	// requested says that the peer asked for an update while ours was
	// waiting, and queued that we were asked to request one of the peer:
	// the next KeyUpdate goes once that one is acknowledged.
	requested, queued bool
	// failed counts the records of the peer's current epoch that failed
	// to authenticate, and badRun those in a row (tls13_limits.go).
	failed uint64
	badRun int
}

// errNot13 is the error of UpdateKeys on an association that is not DTLS
// 1.3, or whose handshake has not completed.
var errNot13 = errors.New("dtls: KeyUpdate needs a completed DTLS 1.3 handshake")

// UpdateKeys sends a KeyUpdate (RFC 8446 §4.6.3, RFC 9147 §8): once the
// peer acknowledges it, this side sends with keys of a new epoch; with
// requestPeer, the peer updates its own in turn. It returns once the
// message is sent. While an update of ours waits for its ACK, there is no
// other: a request of the peer's update then goes in the next, sent as
// soon as that one is acknowledged. It needs a completed DTLS 1.3
// handshake.
func (c *Conn) UpdateKeys(requestPeer bool) error {
	c.in.Lock()
	err := c.updateKeysLocked(requestPeer)
	c.in.Unlock()
	c.flushEvents()
	return err
}

func (c *Conn) updateKeysLocked(requestPeer bool) error {
	return c.keyUpdateLocked(requestPeer, true)
}

// keyUpdateLocked sends a KeyUpdate, or (without transmit) puts it in the
// flight for a probe to send. c.in is held.
func (c *Conn) keyUpdateLocked(requestPeer, transmit bool) error {
	switch {
	case c.in.err != nil:
		return c.in.err
	case c.p13 == nil || c.in.hs != nil:
		return errNot13
	case c.p13.updating:
		// One KeyUpdate at a time (RFC 9147 §8): a request for the peer to
		// update goes in the next, sent once this one is acknowledged.
		c.p13.queued = c.p13.queued || requestPeer
		return nil
	}
	body, err := (&handshake.KeyUpdate{RequestUpdate: requestPeer}).Marshal()
	if err != nil {
		return err
	}
	p := c.p13
	p.updating = true
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "KeyUpdate sent", "sent KeyUpdate (update requested: %v)", slog.Bool("request_update", requestPeer))
	}
	return c.postHandshakeLocked(handshake.TypeKeyUpdate, body, c.keyUpdateAcked, transmit)
}

// keyUpdateAcked moves our sending to the next epoch, now that the peer
// has acknowledged our KeyUpdate and so holds its keys. c.in is held.
func (c *Conn) keyUpdateAcked() {
	p := c.p13
	p.updating = false
	p.write = tls13.NextTrafficSecret(p.suite.hash, p.write)
	ci, err := newCipher13(p.suite, p.write)
	if err != nil {
		c.failLocked(err)
		return
	}
	c.out.Lock()
	c.out.nextEpoch13(ci, c.out.cur.epoch+1, c.out.cur.cid)
	c.out.dataEpoch = c.out.cur.epoch
	if len(c.out.flight) == 0 {
		c.out.prev = nil // nothing is left to send again in the old epoch
	}
	epoch := c.out.cur.epoch
	c.out.Unlock()
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "keys updated", "sending in epoch %d", slog.Int("epoch", int(epoch)))
	}
	if p.requested || p.queued {
		request := p.queued
		p.requested, p.queued = false, false
		_ = c.updateKeysLocked(request)
	}
}

// postHandshake13Locked takes the handshake messages that come after a
// DTLS 1.3 handshake: KeyUpdate, and NewSessionTicket, which is not used
// yet. Each is acknowledged (RFC 9147 §7). c.in is held.
func (c *Conn) postHandshake13Locked(m fragment.Message) {
	switch m.Type {
	case handshake.TypeKeyUpdate:
		c.keyUpdateReceived(m)
	case handshake.TypeNewSessionTicket:
		var t handshake.NewSessionTicket13
		if !t.Unmarshal(m.Body) {
			c.failLocked(c.sendAlert(AlertDecodeError, errors.New("dtls: malformed NewSessionTicket")))
			return
		}
		c.ticketReceived(&t)
	default:
		c.failLocked(c.sendAlert(AlertUnexpectedMessage, errors.New("dtls: unexpected "+m.Type.String()+" after the handshake")))
	}
}

// keyUpdateReceived arms the peer's next epoch, whose keys derive from
// its current secret (RFC 8446 §7.2), and answers a request with our own
// KeyUpdate. The records of the current epoch are still read until the
// next one is used.
func (c *Conn) keyUpdateReceived(m fragment.Message) {
	var ku handshake.KeyUpdate
	if !ku.Unmarshal(m.Body) {
		c.failLocked(c.sendAlert(AlertIllegalParameter, errors.New("dtls: malformed KeyUpdate")))
		return
	}
	p := c.p13
	if c.in.next13 != nil {
		return // the epoch armed by the last one is still unused
	}
	p.read = tls13.NextTrafficSecret(p.suite.hash, p.read)
	ci, err := newCipher13(p.suite, p.read)
	if err != nil {
		c.failLocked(err)
		return
	}
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "KeyUpdate received", "received KeyUpdate (update requested: %v)", slog.Bool("request_update", ku.RequestUpdate))
	}
	// The epoch before the current one is forgotten: its records, which
	// came before the peer's last two KeyUpdates, are too late now.
	c.in.prev = nil
	c.setReadCipher13(ci, c.in.cur.epoch+1, false)
	if ku.RequestUpdate {
		if p.updating {
			p.requested = true
		} else if err := c.updateKeysLocked(false); err != nil {
			c.in.lastErr = err
		}
	}
}
