package dtls

import (
	"errors"
	"log/slog"
	"time"
)

// The engine.
//
// A Conn advances on three kinds of event, never on the application's
// Read: a datagram from the peer (HandleDatagram, called by the Conn's own
// reader for Client and Server, by the owner of the socket otherwise), its
// timer (retransmission and handshake deadline, a time.AfterFunc callback)
// and a smaller path (PathShrank). Each event takes c.in's lock, which
// guards the receive side and the handshake, and takes c.out's lock, in that
// order, to send. Application data goes to the receive queue for Read;
// what the owner must hear (the end of the handshake, heartbeat responses)
// is collected under the lock and delivered by flushEvents once it is
// released, so that callbacks may call back into the Conn.

// maxDatagramSize is the largest datagram a Conn reads: the largest UDP
// payload (RFC 768's 16-bit length, less the 8-byte header).
const maxDatagramSize = 65535 - 8

// events are what one event produced for the owner to hear, delivered
// without the Conn's locks held.
type events struct {
	done       bool  // the handshake ended
	doneErr    error // nil if it completed
	ended      error // the association ended after its handshake, or nil
	heartbeats [][]byte
}

// HandleDatagram processes one datagram from the peer: it authenticates
// and acts on each of its records, as RFC 6347 §4.1 describes, and drops
// what does not verify. The Conn does not keep b. HandleDatagram is for the
// owner of a Conn made by ClientOn or ServerOn; it may be called from any
// goroutine, and returns once the datagram has been processed.
func (c *Conn) HandleDatagram(b []byte) {
	if c.closed.Load() {
		return
	}
	if !c.isClient {
		c.start()
	} else if !c.started.Load() {
		return // nothing is expected before our ClientHello
	}
	c.in.Lock()
	c.handleDatagramLocked(b)
	c.in.Unlock()
	c.flushEvents()
}

// HandleMovedDatagram processes a datagram that came from another address
// than the peer's, as HandleDatagram does, and reports whether the peer
// has moved there: a record in it carried this side's connection ID,
// authenticated, and was newer than every record received before (RFC
// 9146 §6). Only then should the owner send to the new address; a forged,
// replayed or delayed datagram reports false, though what it holds that
// authenticates is still taken in, as from the old address. moved, if not
// nil, is called as soon as such a record authenticates, before its
// content reaches the application, so that the owner sends its answer to
// the new address; it runs with the Conn's locks held, and must not call
// the Conn.
func (c *Conn) HandleMovedDatagram(b []byte, moved func()) bool {
	if c.closed.Load() || !c.started.Load() {
		return false
	}
	c.in.Lock()
	c.in.sawNewest, c.in.onMove = false, moved
	c.handleDatagramLocked(b)
	ok := c.in.sawNewest && c.in.err == nil
	c.in.sawNewest, c.in.onMove = false, nil
	c.in.Unlock()
	c.flushEvents()
	return ok
}

// AcceptHello starts the handshake of a Conn made by ServerOn with the
// ClientHello of v, which a HelloGate of the same Config accepted: it is
// neither parsed nor verified again. A Verdict that no gate accepted is
// handled as HandleDatagram handles v.Hello.
func (c *Conn) AcceptHello(v Verdict) {
	if v.hello == nil || c.isClient || c.closed.Load() {
		c.HandleDatagram(v.Hello)
		return
	}
	c.start()
	c.in.Lock()
	if hs := c.in.hs; hs != nil && hs.initial != nil && c.in.err == nil {
		hs.initial = nil
		if err := hs.server.acceptClientHello(v.hello); err != nil {
			c.failLocked(err)
		}
		c.advanceLocked()
	}
	c.in.Unlock()
	c.flushEvents()
}

// handleDatagramLocked processes a datagram. c.in is held.
func (c *Conn) handleDatagramLocked(b []byte) {
	if c.in.err != nil {
		return
	}
	if hs := c.in.hs; hs != nil && hs.initial != nil {
		if err := hs.initial(b); err != nil {
			c.failLocked(err)
		}
	} else {
		c.handleRecords(b)
	}
	c.advanceLocked()
	c.scheduleACKLocked()
}

// advanceLocked gives the handshake the messages that are complete, in
// order, and handles the peer's retransmissions. c.in is held.
func (c *Conn) advanceLocked() {
	if c.in.sawOld {
		c.in.sawOld = false
		c.peerRetransmittedLocked()
	}
	for c.in.err == nil {
		hs := c.in.hs
		if hs == nil {
			c.postHandshakeMessagesLocked()
			return
		}
		if hs.step == nil {
			return
		}
		m, ok := c.in.reasm.Pop()
		if !ok {
			return
		}
		if c.config.logs(slog.LevelDebug) {
			c.config.event(slog.LevelDebug, "message received", "received %s (message_seq %d, %d bytes)",
				slog.String("type", m.Type.String()), slog.Int("message_seq", int(m.Seq)), slog.Int("size", len(m.Body)))
		}
		hs.addTranscript(m.Type, m.Seq, m.Body)
		hs.progress()
		hs.unanswered = false
		if err := hs.step(m); err != nil {
			c.failLocked(err)
		}
	}
}

// PathShrank tells the Conn that its path's MaxDatagramSize went down: a
// flight in progress whose datagrams no longer fit is sent again at once,
// fragmented to the new size, without waiting for the timer. The owner of
// a Conn made by ClientOn or ServerOn calls it, from any goroutine, when it
// learns that the path is narrower (a validated ICMP message).
func (c *Conn) PathShrank() {
	c.in.Lock()
	hs := c.in.hs
	waiting := hs != nil && hs.waiting || hs == nil && c.in.acks.wait // DTLS 1.3's flights after the handshake wait for an ACK
	if c.in.err == nil && waiting && c.link.MaxDatagramSize() < c.in.flightLargest {
		c.retransmitLocked("path shrank")
	}
	c.in.Unlock()
	c.flushEvents()
}

// start starts the handshake, once: it arms the handshake deadline, starts
// the reader of a Conn made by Client or Server, and sends a client's
// first flight.
func (c *Conn) start() {
	c.startOnce.Do(func() {
		// Before the first flight goes out: its answer may come back at
		// once, and must not be taken for a stray datagram.
		c.started.Store(true)
		check := c.config.check
		if !c.isClient {
			check = c.config.CheckServer
		}
		if err := check(); err != nil {
			c.in.Lock()
			c.failLocked(err)
			c.in.Unlock()
			return
		}
		c.in.Lock()
		if c.in.err == nil {
			c.beginHandshakeLocked()
		}
		c.in.Unlock()
		if c.nl != nil {
			c.nl.start()
		}
		c.flushEvents()
	})
}

// beginHandshakeLocked creates the handshake state. c.in is held.
func (c *Conn) beginHandshakeLocked() {
	now := time.Now()
	if c.isClient {
		hs := newClientHandshake(c, now)
		c.in.hs = &hs.hsBase
		c.in.reasm.SetLimits(serverFlightLimits)
		if err := hs.sendHello(); err != nil {
			c.failLocked(err)
			return
		}
	} else {
		c.in.hs = &newServerHandshake(c, now).hsBase
	}
	c.armTimerLocked()
}

// abortHandshake ends a handshake in progress with err, from
// HandshakeContext when its context is done.
func (c *Conn) abortHandshake(err error) {
	c.in.Lock()
	if hs := c.in.hs; hs != nil {
		var te *HandshakeTimeoutError
		if errors.As(err, &te) {
			te.After, te.Last = time.Since(hs.started), c.in.lastErr
		}
	}
	c.failLocked(err)
	c.in.Unlock()
	c.flushEvents()
}

// readerFailed ends the Conn when its reader can read no more.
func (c *Conn) readerFailed(err error) {
	c.in.Lock()
	c.failLocked(err)
	c.in.Unlock()
	c.flushEvents()
}

// noteNetworkError remembers an error that a read survived, such as a
// port unreachable from the peer, to report if the handshake fails.
func (c *Conn) noteNetworkError(err error) {
	c.in.Lock()
	c.in.lastErr = err
	c.in.Unlock()
}

// failLocked makes err the Conn's permanent error: a handshake in progress
// fails with it, and Read returns it once the data already queued has been
// read. The first error wins. c.in is held.
func (c *Conn) failLocked(err error) {
	if c.in.err != nil {
		return
	}
	c.in.err = err
	c.endErr = err
	c.ended.Store(true)
	c.stopTimerLocked()
	if !c.handshakeDone.Load() {
		c.finishHandshakeLocked(err)
	} else {
		c.in.ev.ended = err
	}
	c.rq.close(err)
	if hs := c.in.hs; hs != nil {
		hs.reneg.end(err)
	}
	c.in.hs = nil
}

// finishHandshakeLocked records the end of the handshake and tells
// whoever waits for it. c.in is held.
func (c *Conn) finishHandshakeLocked(err error) {
	if c.in.finished {
		return
	}
	c.in.finished = true
	c.hsErr = err
	if err == nil {
		c.handshakeDone.Store(true)
	}
	close(c.hsDone)
	c.in.ev.done, c.in.ev.doneErr = true, err
}

// flushEvents delivers what the last event produced. It is called without
// c.in held.
func (c *Conn) flushEvents() {
	c.in.Lock()
	ev := c.in.ev
	c.in.ev = events{}
	c.in.Unlock()
	if ev.done {
		c.link.HandshakeDone(ev.doneErr)
	}
	if ev.ended != nil {
		c.link.Ended(ev.ended)
	}
	if len(ev.heartbeats) == 0 {
		return
	}
	c.hb.Lock()
	f := c.hb.handler
	c.hb.Unlock()
	for _, p := range ev.heartbeats {
		if f != nil {
			f(p)
		}
	}
}

// armTimerLocked sets the Conn's timer for the earlier of the
// retransmission of the flight in progress and the handshake deadline, or
// stops it when neither applies. c.in is held.
func (c *Conn) armTimerLocked() {
	hs := c.in.hs
	if hs == nil || c.in.err != nil {
		if at := c.ackTimerAt(); !at.IsZero() && c.in.err == nil {
			c.setTimerLocked(at)
			return
		}
		c.stopTimerLocked()
		return
	}
	at := hs.deadline
	if due := c.in.acks.due; !due.IsZero() && (at.IsZero() || due.Before(at)) {
		at = due
	}
	if hs.waiting {
		if r := c.in.flightSentAt.Add(hs.timer.cur); at.IsZero() || r.Before(at) {
			at = r
		}
	}
	if at.IsZero() {
		c.stopTimerLocked()
		return
	}
	c.setTimerLocked(at)
}

// setTimerLocked sets the Conn's timer to fire at at. c.in is held.
func (c *Conn) setTimerLocked(at time.Time) {
	d := max(time.Until(at), 0)
	if c.in.timer == nil {
		c.in.timer = time.AfterFunc(d, c.onTimer)
	} else {
		c.in.timer.Reset(d)
	}
}

func (c *Conn) stopTimerLocked() {
	if c.in.timer != nil {
		c.in.timer.Stop()
	}
}

// onTimer runs when the timer fires: the handshake deadline passed, or the
// flight in progress went unanswered (RFC 6347 §4.2.4.1).
func (c *Conn) onTimer() {
	c.in.Lock()
	c.timerLocked(time.Now())
	c.in.Unlock()
	c.flushEvents()
}

func (c *Conn) timerLocked(now time.Time) {
	hs := c.in.hs
	if hs == nil || c.in.err != nil {
		if c.in.err == nil {
			c.ackTimeoutLocked(now)
		}
		return
	}
	c.ackDueLocked(now)
	if !hs.deadline.IsZero() && !now.Before(hs.deadline) {
		if c.waitsForRenegotiation() {
			c.renegotiationRefusedLocked()
			return
		}
		c.failLocked(&HandshakeTimeoutError{After: now.Sub(hs.started), Last: c.in.lastErr})
		return
	}
	if hs.waiting && !now.Before(c.in.flightSentAt.Add(hs.timer.cur)) {
		if err := hs.pendingAlert; err != nil {
			// What looked like a failure, unauthenticated, came before the
			// timer, and nothing since says otherwise: believe it now.
			if hs.sendAlert {
				err = c.sendAlert(AlertBadRecordMAC, err)
			}
			c.failLocked(err)
			return
		}
		hs.flightTimedOut()
	}
	c.armTimerLocked()
}
