package dtls

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/prf"
)

// Renegotiation: a new handshake over an established association, in its
// current epoch (RFC 4347 §4.2.4, RFC 5246 §7.4.1.1). A server asks for
// one with a HelloRequest, which moves it from FINISHED to PREPARING; a
// client answers, or asks for one on its own, with a ClientHello. Each
// side numbers the new handshake's messages from 0 (RFC 6347 §4.2.2: the
// HelloRequest is 0, the ServerHello that follows it 1). Only secure
// renegotiation is done (RFC 5746): each hello carries the verify_data of
// the handshake before, which binds the two handshakes together, and a
// peer that did not send renegotiation_info in the first is refused.
// Application data keeps flowing in the old epoch until the new handshake
// completes, and the old epoch's records are accepted until the new
// epoch's first one.

// RenegotiationSupport says which renegotiations a Conn accepts from its
// peer: a server's HelloRequest, for a client; a client's ClientHello on
// an established association, for a server. One it does not accept is
// answered with a no_renegotiation warning (RFC 5246 §7.2.2), and the
// association goes on. Rehandshake, which starts one, is always allowed.
type RenegotiationSupport int

const (
	// RenegotiateNever refuses every renegotiation the peer asks for.
	RenegotiateNever RenegotiationSupport = iota
	// RenegotiateOnce accepts the first, and refuses the others.
	RenegotiateOnce
	// RenegotiateFreely accepts every one.
	RenegotiateFreely
)

// Errors of Rehandshake.
var (
	// ErrNoSecureRenegotiation says that the peer did not offer secure
	// renegotiation (RFC 5746) in the handshake, so none is done.
	ErrNoSecureRenegotiation = errors.New("dtls: the peer does not support secure renegotiation (RFC 5746)")
	// ErrRenegotiationRefused says that the peer answered our HelloRequest
	// or ClientHello with no_renegotiation, or left it unanswered until
	// the handshake timeout; the association goes on with its keys.
	ErrRenegotiationRefused = errors.New("dtls: the peer refused to renegotiate")
)

// A renegotiation is the state of a renegotiation that Rehandshake waits
// for: done is closed when it ends, err says how.
type renegotiation struct {
	done chan struct{}
	err  error
}

func (r *renegotiation) end(err error) {
	if r == nil {
		return
	}
	select {
	case <-r.done:
	default:
		r.err = err
		close(r.done)
	}
}

// renegState is what a Conn keeps between handshakes for the next
// renegotiation. It is guarded by c.in's lock.
type renegState struct {
	secure     bool // both sides sent renegotiation_info
	clientFin  [prf.VerifyDataLen]byte
	serverFin  [prf.VerifyDataLen]byte
	cookie     []byte        // a client's last cookie from the server
	accepted   int           // renegotiations the peer asked for and we accepted
	timer      time.Duration // the retransmission timer when the last handshake ended
	lastActive time.Time     // when it ended
}

// keepForRenegotiation keeps what the next renegotiation needs: the two
// Finished messages' verify_data, and the retransmission timer's value and
// the time, for the rule on idleness (RFC 6347 §4.2.4.1). It ends a
// renegotiation that Rehandshake waits for. c.in is held.
func (hs *hsBase) keepForRenegotiation() {
	r := &hs.c.in.reneg
	r.secure = hs.secureReneg
	if hs.c.isClient {
		r.clientFin, r.serverFin = hs.ownFin, hs.peerFin
	} else {
		r.clientFin, r.serverFin = hs.peerFin, hs.ownFin
	}
	r.timer, r.lastActive = hs.timer.cur, time.Now()
	if hs.renegotiating() && hs.c.config.logs(slog.LevelInfo) {
		hs.c.config.event(slog.LevelInfo, "renegotiation complete", "renegotiation complete: epoch %d",
			slog.Int("epoch", int(hs.c.out.dataEpoch)))
	}
	hs.reneg.end(nil) // after the event, which is then there when Rehandshake returns
}

// renegotiationTimer returns the retransmission timer a renegotiation
// starts with: the value the last handshake ended with, unless the
// association was idle for ten times that or more, after which it starts
// again from the initial value (RFC 6347 §4.2.4.1).
func (c *Conn) renegotiationTimer(now time.Time) retransmitTimer {
	t := newRetransmitTimer(c.config.retransmitTimeout())
	r := &c.in.reneg
	if r.timer > 0 && now.Sub(r.lastActive) < 10*r.timer {
		t.cur = r.timer
	}
	return t
}

// Rehandshake runs a renegotiation and waits for it to end: a server sends
// a HelloRequest, a client a ClientHello. The association carries data in
// both directions meanwhile, under its current keys until the new ones are
// in place. It returns nil once the new handshake completed, when
// ConnectionState describes it; ErrNoSecureRenegotiation if the peer does
// not support RFC 5746; ErrRenegotiationRefused if the peer refused; or ctx's error if ctx is done first, in which case
// the renegotiation goes on. Once under way, a renegotiation that fails
// (Config.HandshakeTimeout bounds it) ends the association, as a failed
// handshake does. A renegotiation already in progress is waited for.
func (c *Conn) Rehandshake(ctx context.Context) error {
	if err := c.HandshakeContext(ctx); err != nil {
		return err
	}
	c.in.Lock()
	r, err := c.beginRenegotiationLocked()
	c.in.Unlock()
	c.flushEvents()
	if err != nil {
		return err
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return contextError(ctx)
	}
}

// errNoRenegotiation13 is Rehandshake's error on a DTLS 1.3 association,
// which has no renegotiation (RFC 8446 §4.6.3 replaces its use for new keys
// with KeyUpdate).
var errNoRenegotiation13 = errors.New("dtls: DTLS 1.3 has no renegotiation; use UpdateKeys for new keys")

// beginRenegotiationLocked starts a renegotiation of ours, or returns the
// one in progress. c.in is held.
func (c *Conn) beginRenegotiationLocked() (*renegotiation, error) {
	if c.p13 != nil {
		return nil, errNoRenegotiation13
	}
	if c.in.err != nil {
		return nil, c.in.err
	}
	if hs := c.in.hs; hs != nil {
		if hs.reneg == nil {
			hs.reneg = &renegotiation{done: make(chan struct{})}
		}
		return hs.reneg, nil
	}
	if !c.in.reneg.secure {
		return nil, ErrNoSecureRenegotiation
	}
	r := &renegotiation{done: make(chan struct{})}
	var err error
	if c.isClient {
		err = c.renegotiateAsClient(r, 0)
	} else {
		err = c.sendHelloRequestLocked(r)
	}
	if err != nil {
		c.failLocked(err)
		return nil, err
	}
	c.in.hs.unanswered = true
	return r, nil
}

// newRenegotiation sets up hs for a renegotiation: its messages go in the
// current epoch, its timer follows the rule on idleness, and the peer's
// messages are numbered from first. c.in is held.
func (c *Conn) newRenegotiation(hs *hsBase, r *renegotiation, first uint16) {
	hs.ep, hs.reneg = c.out.cur.epoch, r
	hs.timer = c.renegotiationTimer(hs.started)
	c.in.hs = hs
	c.in.reasm.SetNext(first)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "renegotiation started", "renegotiating in epoch %d, timer %v",
			slog.Int("epoch", int(hs.ep)), slog.Duration("timer", hs.timer.cur))
	}
}

// renegotiateAsClient sends the ClientHello of a renegotiation. The
// server's ServerHello is its message first: 0, or 1 after a
// HelloRequest. c.in is held.
func (c *Conn) renegotiateAsClient(r *renegotiation, first uint16) error {
	hs := newClientHandshake(c, time.Now())
	c.newRenegotiation(&hs.hsBase, r, first)
	c.in.reasm.SetLimits(serverFlightLimits)
	if err := hs.sendHello(); err != nil {
		return err
	}
	c.armTimerLocked()
	return nil
}

// sendHelloRequestLocked sends a HelloRequest (RFC 5246 §7.4.1.1), message
// 0 of the new handshake, kept out of its transcript and retransmitted
// until the client's ClientHello, its message 0, arrives. c.in is held.
func (c *Conn) sendHelloRequestLocked(r *renegotiation) error {
	hs := newServerHandshake(c, time.Now())
	hs.initial = nil
	c.newRenegotiation(&hs.hsBase, r, 0)
	hs.step = hs.renegotiationHello
	req := hs.message(hs.ep, handshake.TypeHelloRequest, nil)
	hs.resetTranscript()
	return hs.sendFlight([]fragment.Out{req}, true)
}

// peerRenegotiates reports whether a handshake fragment of the given epoch
// that arrives on an established association starts a renegotiation: a
// HelloRequest from the server, or the ClientHello of a client, as message
// 0 in the current epoch. A retransmission of the last renegotiation's
// first message comes in the epoch before, and does not start another.
// c.in is held.
func (c *Conn) peerRenegotiates(epoch uint16, h handshake.Header) bool {
	if c.in.hs != nil || !c.handshakeDone.Load() || epoch == 0 || epoch != c.in.cur.epoch || h.MessageSeq != 0 {
		return false
	}
	if c.isClient {
		return h.Type == handshake.TypeHelloRequest
	}
	return h.Type == handshake.TypeClientHello
}

// acceptPeerRenegotiation answers a renegotiation the peer asks for: a
// client answers a HelloRequest with a ClientHello; a server gets ready to
// take the ClientHello as the first message of a new handshake. One that
// Config.Renegotiation or the lack of RFC 5746 refuses is answered with a
// no_renegotiation warning. It reports whether the fragment is to be
// reassembled (the server's ClientHello). c.in is held.
func (c *Conn) acceptPeerRenegotiation() (push bool) {
	r := &c.in.reneg
	policy := c.config.Renegotiation
	if !r.secure || policy == RenegotiateNever || policy == RenegotiateOnce && r.accepted > 0 {
		if c.config.logs(slog.LevelInfo) {
			c.config.event(slog.LevelInfo, "renegotiation refused", "refused a renegotiation (secure %v, policy %d, %d accepted before)",
				slog.Bool("secure", r.secure), slog.Int("policy", int(policy)), slog.Int("accepted", r.accepted))
		}
		c.out.Lock()
		_ = c.sendAlertLocked(alertLevelWarning, AlertNoRenegotiation)
		c.out.Unlock()
		c.uselessRecord()
		return false
	}
	r.accepted++
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "renegotiation requested", "the peer asks to renegotiate")
	}
	if c.isClient {
		if err := c.renegotiateAsClient(nil, 1); err != nil {
			c.failLocked(err)
		}
		return false
	}
	hs := newServerHandshake(c, time.Now())
	hs.initial, hs.step = nil, hs.renegotiationHello
	c.newRenegotiation(&hs.hsBase, nil, 0)
	c.armTimerLocked()
	return true
}

// renegotiationRefusedLocked ends a renegotiation we started that the
// peer answered with no_renegotiation, or left unanswered until the
// deadline: the association goes on with its keys. A client's
// renegotiation has changed nothing yet either (its keys come after the
// ServerHello). c.in is held.
func (c *Conn) renegotiationRefusedLocked() {
	hs := c.in.hs
	c.in.hs = nil
	hs.releaseTranscript()
	c.out.Lock()
	c.out.flight = nil
	c.out.Unlock()
	c.stopTimerLocked()
	hs.reneg.end(ErrRenegotiationRefused)
	if c.config.logs(slog.LevelInfo) {
		c.config.event(slog.LevelInfo, "renegotiation refused by peer", "the peer refused to renegotiate")
	}
}

// renegotiating reports whether hs is a renegotiation: those start in an
// epoch after 0.
func (hs *hsBase) renegotiating() bool { return hs.ep > 0 }

// waitsForRenegotiation reports whether the handshake in progress is a
// renegotiation we started that the peer has not answered yet. c.in is
// held.
func (c *Conn) waitsForRenegotiation() bool {
	hs := c.in.hs
	return hs != nil && hs.unanswered
}
