package dtls

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// Heartbeats (RFC 6520) carry path-MTU probes after the handshake: a
// HeartbeatRequest padded to the size under test either comes back as a
// HeartbeatResponse, which proves the size gets through, or does not
// (RFC 6520 §5.1, RFC 8899 §6.2.1). pathdtls always advertises
// peer_allowed_to_send, and answers every valid request it receives.

// heartbeatState is the heartbeat state of a Conn. It has its own lock, so
// that SendHeartbeat never waits for the engine's.
type heartbeatState struct {
	sync.Mutex
	peerMode uint8  // the peer's HeartbeatMode (RFC 6520 §2), 0 if it sent none
	pending  []byte // payload of the outstanding request, nil if none
	handler  func(payload []byte)
}

// ErrHeartbeatNotAllowed is returned by SendHeartbeat when the peer did not
// allow us to send HeartbeatRequests (RFC 6520 §2), or before the handshake.
var ErrHeartbeatNotAllowed = errors.New("dtls: peer does not accept heartbeat requests")

// HeartbeatAllowed reports whether the peer accepts our HeartbeatRequests,
// and so whether the path can be probed in-band.
func (c *Conn) HeartbeatAllowed() bool {
	if !c.handshakeDone.Load() {
		return false
	}
	c.hb.Lock()
	defer c.hb.Unlock()
	return c.hb.peerMode == handshake.HeartbeatPeerAllowedToSend
}

// SetHeartbeatHandler sets f to be called with the payload of each
// HeartbeatResponse that answers the outstanding request. f runs on the
// goroutine that processed the response (the Conn's reader, or the owner's
// in HandleDatagram), without the Conn's locks held.
func (c *Conn) SetHeartbeatHandler(f func(payload []byte)) {
	c.hb.Lock()
	c.hb.handler = f
	c.hb.Unlock()
}

// SendHeartbeat sends a HeartbeatRequest with payload, padded so that its
// datagram is as close to size bytes as the cipher allows without exceeding
// it, and returns the datagram's length. Unlike Write it ignores the path's
// current size: a probe is meant to test a larger one. Only the last
// request's response is reported to the handler; a lost request is not
// retransmitted.
func (c *Conn) SendHeartbeat(payload []byte, size int) (int, error) {
	if !c.HeartbeatAllowed() {
		return 0, ErrHeartbeatNotAllowed
	}
	if err := c.writable(); err != nil {
		return 0, err
	}
	c.out.Lock()
	defer c.out.Unlock()
	plain := min(c.out.maxPlaintext(c.out.dataEpoch, size), record.MaxPlaintext)
	m := heartbeatMessage{typ: heartbeatRequest, payload: payload, padding: plain - 3 - len(payload)}
	if m.padding < heartbeatMinPadding {
		return 0, errors.New("dtls: heartbeat probe size too small for its payload")
	}
	c.hb.Lock()
	c.hb.pending = append(c.hb.pending[:0], payload...)
	c.hb.Unlock()
	n := c.out.recordLen(c.out.dataEpoch, 3+len(payload)+m.padding)
	return n, c.sendHeartbeatLocked(&m)
}

// appendHeartbeat appends m to b with fresh random padding.
func (c *Conn) appendHeartbeat(b []byte, m *heartbeatMessage) ([]byte, error) {
	b, err := m.appendHeader(b)
	if err != nil {
		return b, err
	}
	start := len(b)
	b = append(b, make([]byte, m.padding)...)
	if _, err := io.ReadFull(c.config.rand(), b[start:]); err != nil {
		return b, err
	}
	return b, nil
}

// sendHeartbeatLocked sends m in a record of its own, in a buffer of
// sendBuffers. c.out is held.
func (c *Conn) sendHeartbeatLocked(m *heartbeatMessage) error {
	bp := sendBuffers.Get().(*[]byte)
	defer putSendBuffer(bp)
	b, err := c.appendHeartbeat((*bp)[:0], m)
	*bp = b
	if err != nil {
		return err
	}
	return c.writeRecordLocked(record.Heartbeat, c.out.dataEpoch, b)
}

// handleHeartbeat answers a HeartbeatRequest and reports the response to
// the outstanding request. Invalid messages, any before the handshake
// completes, and requests from a peer that did not negotiate the extension
// are discarded silently (RFC 6520 §2, §4). c.in is held.
func (c *Conn) handleHeartbeat(h record.Header, b []byte) {
	var m heartbeatMessage
	c.hb.Lock()
	negotiated := c.hb.peerMode != 0
	c.hb.Unlock()
	if h.Epoch == 0 || !c.handshakeDone.Load() || !negotiated || !m.unmarshal(b) {
		c.stats.dropped.Add(1)
		return
	}
	if m.typ == heartbeatResponse {
		c.heartbeatResponse(m.payload)
		return
	}
	resp := heartbeatMessage{typ: heartbeatResponse, payload: m.payload, padding: heartbeatMinPadding}
	c.out.Lock()
	defer c.out.Unlock()
	if 3+len(resp.payload)+resp.padding <= c.out.maxPlaintext(c.out.dataEpoch, c.link.MaxDatagramSize()) {
		_ = c.sendHeartbeatLocked(&resp)
	}
}

// heartbeatResponse takes a HeartbeatResponse: when it answers the
// outstanding request, the handler hears of it once the engine's lock is
// released. c.in is held.
func (c *Conn) heartbeatResponse(payload []byte) {
	c.hb.Lock()
	match := c.hb.pending != nil && bytes.Equal(payload, c.hb.pending)
	if match {
		c.hb.pending = nil
	}
	c.hb.Unlock()
	if match {
		c.in.ev.heartbeats = append(c.in.ev.heartbeats, bytes.Clone(payload))
	}
}
