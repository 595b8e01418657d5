package dtls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// hsBase is the state both sides' handshakes share: the message sequence
// numbers, the transcript, the deadline and the retransmission timer.
type hsBase struct {
	c          *Conn
	ctx        context.Context
	deadline   time.Time // whole-handshake deadline; zero for none
	timer      retransmitTimer
	waiting    bool // a flight is outstanding and the timer runs
	timeouts   int  // consecutive timeouts of the current flight
	sendSeq    uint16
	transcript []byte // every message as if unfragmented (RFC 6347 §4.2.6)
	vers       uint16
	suite      *cipherSuite
}

func (hs *hsBase) init(c *Conn, ctx context.Context) func() bool {
	hs.c, hs.ctx = c, ctx
	hs.timer = newRetransmitTimer(c.config.retransmitTimeout())
	if d := c.config.handshakeTimeout(); d > 0 {
		hs.deadline = time.Now().Add(d)
	}
	if d, ok := ctx.Deadline(); ok && (hs.deadline.IsZero() || d.Before(hs.deadline)) {
		hs.deadline = d
	}
	// Wake a blocked read when ctx is done.
	return context.AfterFunc(ctx, func() { _ = c.conn.SetReadDeadline(time.Unix(1, 0)) })
}

// message builds a flight item for a handshake message, assigning its
// message_seq and adding it to the transcript.
func (hs *hsBase) message(epoch uint16, typ handshake.Type, body []byte) fragment.Out {
	o := fragment.Out{Epoch: epoch, Type: typ, Seq: hs.sendSeq, Body: body}
	hs.sendSeq++
	hs.addTranscript(typ, o.Seq, body)
	return o
}

// addTranscript appends a message to the transcript with a header that says
// it was sent whole (RFC 6347 §4.2.6).
func (hs *hsBase) addTranscript(typ handshake.Type, seq uint16, body []byte) {
	h := handshake.Header{Type: typ, Length: uint32(len(body)), MessageSeq: seq, FragmentLength: uint32(len(body))}
	hs.transcript = h.Append(hs.transcript)
	hs.transcript = append(hs.transcript, body...)
}

// sendFlight sends a new flight. awaitReply starts the retransmission timer;
// a flight that ends the handshake is only kept to answer retransmissions.
func (hs *hsBase) sendFlight(items []fragment.Out, awaitReply bool) error {
	c := hs.c
	c.out.Lock()
	defer c.out.Unlock()
	if hs.waiting {
		hs.timer.answered(c.out.retransmits > 0)
	}
	c.out.flight, c.out.retransmits = items, 0
	hs.waiting, hs.timeouts = awaitReply, 0
	return c.transmitFlightLocked()
}

// retransmit sends the current flight again.
func (hs *hsBase) retransmit(why string) error {
	c := hs.c
	c.out.Lock()
	defer c.out.Unlock()
	return c.retransmitLocked(fmt.Sprintf("%s, timer %v", why, hs.timer.cur))
}

// readMessage returns the next handshake message in order, waiting for it
// with the retransmission timer running (RFC 6347 §4.2.4).
func (hs *hsBase) readMessage() (fragment.Message, error) {
	c := hs.c
	for {
		if m, ok := c.in.reasm.Pop(); ok {
			c.config.tracef("received %s (message_seq %d, %d bytes)", m.Type, m.Seq, len(m.Body))
			hs.addTranscript(m.Type, m.Seq, m.Body)
			return m, nil
		}
		if c.in.err != nil {
			return fragment.Message{}, c.in.err
		}
		if err := hs.awaitDatagram(); err != nil {
			return fragment.Message{}, err
		}
	}
}

// awaitDatagram reads and processes one datagram, or handles the timer or
// a path signal.
func (hs *hsBase) awaitDatagram() error {
	c := hs.c
	readBy := hs.readDeadline()
	if err := c.conn.SetReadDeadline(readBy); err != nil {
		return err
	}
	if err := hs.ctx.Err(); err != nil {
		return err
	}
	n, err := c.conn.Read(c.in.buf)
	if err != nil {
		return hs.readError(err)
	}
	if err := c.handleDatagram(c.in.buf[:n]); err != nil {
		return err
	}
	if c.in.sawOld {
		c.in.sawOld = false
		if hs.waiting && time.Since(c.out.sentAt) >= minRetransmitGap {
			// The peer is still waiting for our flight: it was lost, which
			// the Path hears as it hears a timeout (but our timer keeps
			// its value: this is not our timer expiring).
			hs.timeouts++
			c.path.HandshakeTimeout(c.out.flightSize, hs.timeouts)
			return hs.retransmit("peer retransmitted")
		}
	}
	return nil
}

// readDeadline is the earliest of the timer, the handshake deadline and the
// caller's read deadline.
func (hs *hsBase) readDeadline() time.Time {
	t := hs.deadline
	earlier := func(u time.Time) {
		if !u.IsZero() && (t.IsZero() || u.Before(t)) {
			t = u
		}
	}
	if hs.waiting {
		earlier(hs.c.out.sentAt.Add(hs.timer.cur))
	}
	earlier(hs.c.userReadDeadline())
	return t
}

// readError sorts a read error into a timer expiry, a path signal, or a
// failure.
func (hs *hsBase) readError(err error) error {
	c := hs.c
	if errors.Is(err, ErrMessageTooLong) {
		return hs.pathShrunk()
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return err
	}
	if e := hs.ctx.Err(); e != nil {
		return e
	}
	now := time.Now()
	if !hs.deadline.IsZero() && !now.Before(hs.deadline) {
		return errHandshakeTimeout
	}
	if u := c.userReadDeadline(); !u.IsZero() && !now.Before(u) {
		return err
	}
	if !hs.waiting || now.Before(c.out.sentAt.Add(hs.timer.cur)) {
		return nil
	}
	hs.timeouts++
	c.path.HandshakeTimeout(c.out.flightSize, hs.timeouts)
	hs.timer.expired()
	return hs.retransmit(fmt.Sprintf("timeout %d", hs.timeouts))
}

// pathShrunk re-sends the current flight at once if the path now allows
// less than the flight was sent at.
func (hs *hsBase) pathShrunk() error {
	c := hs.c
	if hs.waiting && c.path.MaxDatagramSize() < c.out.flightSize {
		return hs.retransmit("path shrank")
	}
	return nil
}

// expect returns an unexpected_message failure for a message of the wrong type.
func (hs *hsBase) unexpected(m fragment.Message, want string) error {
	return hs.c.sendAlert(AlertUnexpectedMessage,
		fmt.Errorf("dtls: unexpected %s, want %s", m.Type, want))
}

// decodeError reports a message that did not parse.
func (hs *hsBase) decodeError(m fragment.Message) error {
	return hs.c.sendAlert(AlertDecodeError, fmt.Errorf("dtls: malformed %s", m.Type))
}

// establishKeys derives the record ciphers from the master secret and arms
// them: the peer's for reading (epoch 1), ours for writing after our
// ChangeCipherSpec (RFC 5246 §6.3).
func (hs *hsBase) establishKeys(master, clientRandom, serverRandom []byte, isClient bool) error {
	c, s := hs.c, hs.suite
	kb := prfKeyBlock(s, hs.vers, master, clientRandom, serverRandom)
	cw, sw, err := s.newCiphers(kb, c.config)
	if err != nil {
		return err
	}
	mine, theirs := cw, sw
	if !isClient {
		mine, theirs = sw, cw
	}
	c.out.Lock()
	c.out.nextEpoch(mine)
	c.out.Unlock()
	return c.setReadCipher(theirs)
}

// setVersion fixes the negotiated version in the record layer.
func (hs *hsBase) setVersion(v uint16) {
	hs.vers = v
	hs.c.out.Lock()
	hs.c.out.version = v
	hs.c.out.Unlock()
}

// finished returns a Finished body for label over the transcript so far.
func (hs *hsBase) finished(master []byte, label string) []byte {
	return prfVerifyData(hs.suite, hs.vers, master, label, hs.suite.transcriptHash(hs.vers, hs.transcript))
}

// ccs is the ChangeCipherSpec item of a flight, sent in the epoch before it.
func ccs(epoch uint16) fragment.Out { return fragment.Out{Epoch: epoch, CCS: true} }
