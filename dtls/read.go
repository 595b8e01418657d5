package dtls

import (
	"errors"
	"io"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// minRetransmitGap keeps a burst of retransmitted records from the peer (a
// whole flight, several datagrams) from making us answer more than once.
const minRetransmitGap = 100 * time.Millisecond

// readData returns the data of the next application record. c.in is held.
func (c *Conn) readData(b []byte) (int, error) {
	for {
		if c.in.pending == nil && len(c.in.early) > 0 {
			c.in.pending, c.in.early = c.in.early[0], c.in.early[1:]
		}
		if c.in.pending != nil {
			return c.deliver(b)
		}
		if c.in.err != nil {
			return 0, c.in.err
		}
		if len(c.in.rest) == 0 {
			if err := c.readDatagram(); err != nil {
				return 0, err
			}
			continue
		}
		if err := c.nextRecord(); err != nil {
			return 0, err
		}
	}
}

// deliver copies the pending record's data to b.
func (c *Conn) deliver(b []byte) (int, error) {
	if len(b) < len(c.in.pending) {
		return 0, io.ErrShortBuffer
	}
	n := copy(b, c.in.pending)
	c.in.pending = nil
	return n, nil
}

// readDatagram reads the next datagram into c.in.rest. A "message too long"
// from the datagram connection is a path signal, not an error.
func (c *Conn) readDatagram() error {
	n, err := c.conn.Read(c.in.buf)
	if err != nil {
		if errors.Is(err, ErrMessageTooLong) {
			return nil
		}
		if c.closed.Load() {
			return errors.Join(io.EOF, err)
		}
		return err
	}
	c.in.rest = c.in.buf[:n]
	return nil
}

// nextRecord processes the next record of the current datagram after the
// handshake.
func (c *Conn) nextRecord() error {
	h, frag, rest, ok := record.Split(c.in.rest)
	if !ok {
		c.stats.dropped.Add(1)
		c.in.rest = nil
		return nil
	}
	whole := c.in.rest[:len(c.in.rest)-len(rest)]
	c.in.rest = rest
	data, err := c.handleRecord(h, frag, whole)
	if err != nil {
		return err
	}
	if data != nil {
		c.in.pending = data
	}
	if c.in.sawOld {
		c.in.sawOld = false
		return c.answerRetransmission()
	}
	return c.postHandshakeMessages()
}

// answerRetransmission re-sends our last flight when the peer retransmits
// the flight before it, which means ours was lost (RFC 6347 §4.2.4).
func (c *Conn) answerRetransmission() error {
	c.out.Lock()
	defer c.out.Unlock()
	if c.out.flight == nil || time.Since(c.out.sentAt) < minRetransmitGap {
		return nil
	}
	return c.retransmitLocked("peer retransmitted its flight after ours was complete")
}

// postHandshakeMessages refuses handshake messages that would start a
// renegotiation, which pathdtls does not support (RFC 5746 §4.5 lets us
// answer with a warning no_renegotiation).
func (c *Conn) postHandshakeMessages() error {
	for {
		m, ok := c.in.reasm.Pop()
		if !ok {
			return nil
		}
		if m.Type != handshake.TypeHelloRequest && m.Type != handshake.TypeClientHello {
			return c.fail(c.sendAlert(AlertUnexpectedMessage, nil))
		}
		c.out.Lock()
		_ = c.sendAlertLocked(alertLevelWarning, AlertNoRenegotiation)
		c.out.Unlock()
		if err := c.uselessRecord(); err != nil {
			return err
		}
	}
}
