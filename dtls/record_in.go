package dtls

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// Bounds on what the receive side holds for later.
const (
	maxHeldRecords  = 4 // records of the next epoch waiting for its keys: a Finished and what follows it
	maxHeldBytes    = 8 << 10
	maxEarlyData    = 16 // application records that arrived before the handshake finished
	maxUselessInRow = 16 // warning alerts, empty records and the like, as crypto/tls allows
)

// epochIn is the read state of one epoch: its cipher and replay window.
// Epoch 0 has no window: its records are not authenticated, so marking
// them would let anyone who knows the addresses push the window past the
// peer's real records. Handshake messages are deduplicated by message_seq
// instead (RFC 6347 §4.2.2).
type epochIn struct {
	epoch  uint16
	cipher record.Cipher
	window *record.Window   // nil in epoch 0
	cid    bool             // its records carry our connection ID (RFC 9146)
	c13    *record.Cipher13 // DTLS 1.3's cipher for the epoch, instead of cipher
}

// inHalf is the receiving direction of the record layer, and the
// handshake. Its lock is the engine's (see engine.go).
type inHalf struct {
	sync.Mutex
	err     error // first permanent error
	window  int   // replay window size for new epochs
	lastErr error // the last error survived, for a handshake that times out

	cur, prev *epochIn
	epoch0    epochIn       // cur at first
	next      record.Cipher // cipher of epoch cur+1, once the handshake knows it
	nextCID   bool          // epoch cur+1's records carry our connection ID
	// next13 is the read state of a DTLS 1.3 epoch after cur (2 after
	// epoch 0), once the handshake or a KeyUpdate knows its keys: made
	// when they are armed, so that a record of it allocates nothing.
	next13 *epochIn
	acks   ackState // DTLS 1.3 records to acknowledge (RFC 9147 §7)
	resync []byte   // a copy of a record being tried again (tls13_limits.go)
	note0  bool     // epoch 0's handshake records are acknowledged too (a client offering DTLS 1.3)
	cid    []byte   // our connection ID, once one is negotiated (RFC 9146)
	// newest is the epoch and sequence number of the newest record with
	// our connection ID that authenticated; sawNewest says that the
	// datagram being processed held a newer one (RFC 9146 §6).
	newest    RecordID
	sawNewest bool
	onMove    func()   // HandleMovedDatagram's: called at the first newest record
	held      [][]byte // records of epoch cur+1 that came before its keys
	heldBytes int

	reasm   *fragment.Reassembler // points to reasmv
	reasmv  fragment.Reassembler
	window1 record.Window // epoch 1's replay window
	hsEpoch uint16        // handshake messages must come in this epoch or later
	sawOld  bool          // the peer retransmitted a message we already have
	early   [][]byte      // application data that arrived during the handshake
	useless int

	hs            *hsBase     // the handshake in progress, nil when none
	finished      bool        // the handshake ended, well or not
	timer         *time.Timer // the handshake's timer (engine.go)
	flightSentAt  time.Time   // when our current flight was last sent
	flightLargest int         // its largest datagram, UDP payload bytes
	ev            events      // for flushEvents
	reneg         renegState  // for the next renegotiation
}

func (in *inHalf) init(cfg *Config) {
	in.window = cfg.replayWindow()
	in.epoch0 = epochIn{cipher: record.NewNull()}
	in.cur = &in.epoch0
	in.reasm = &in.reasmv
	in.reasm.Init(fragment.Limits{})
}

// epochFor returns the state that opens records of the epoch, or nil.
func (in *inHalf) epochFor(epoch uint16) *epochIn {
	switch {
	case epoch == in.cur.epoch:
		return in.cur
	case in.prev != nil && epoch == in.prev.epoch:
		return in.prev
	}
	return nil
}

// advance makes epoch cur+1 current, after one of its records authenticated.
func (in *inHalf) advance(w *record.Window) {
	in.prev = in.cur
	in.cur = &epochIn{epoch: in.prev.epoch + 1, cipher: in.next, window: w, cid: in.nextCID}
	in.next, in.nextCID = nil, false
}

// hold keeps a copy of a record of the next epoch until its keys are known.
func (in *inHalf) hold(rec []byte) bool {
	if len(in.held) >= maxHeldRecords || in.heldBytes+len(rec) > maxHeldBytes {
		return false
	}
	in.held = append(in.held, append([]byte(nil), rec...))
	in.heldBytes += len(rec)
	return true
}

// handleRecords processes every record of a datagram. Records never span
// datagrams (RFC 6347 §4.1.1). c.in is held.
func (c *Conn) handleRecords(d []byte) {
	for len(d) > 0 && c.in.err == nil {
		if record.IsUnifiedHeader(d[0]) {
			rest, ok := c.handleRecord13(d)
			if !ok {
				c.stats.dropped.Add(1)
				return
			}
			d = rest
			continue
		}
		if record.ContentType(d[0]) == record.TLS12CID {
			rest, ok := c.handleCIDRecord(d)
			if !ok {
				c.stats.dropped.Add(1)
				return
			}
			d = rest
			continue
		}
		h, frag, rest, ok := record.Split(d)
		if !ok {
			c.stats.dropped.Add(1) // the rest of the datagram cannot be framed
			return
		}
		c.handleRecord(h, frag, d[:len(d)-len(rest)], nil)
		d = rest
	}
}

// handleCIDRecord processes the record with a connection ID at the start
// of d (RFC 9146 §4), whose ID has our ID's length, and returns the rest of
// the datagram; ok is false if it cannot be framed. A record with another
// ID is dropped.
func (c *Conn) handleCIDRecord(d []byte) (rest []byte, ok bool) {
	if len(c.in.cid) == 0 {
		// Before our keys, and the ID they come with, are known, the rest
		// of the datagram is held for them: the ID's length frames it.
		if c.in.hs != nil && c.in.next == nil && c.in.hold(d) {
			return nil, true
		}
		return nil, false
	}
	ch, frag, rest, ok := record.SplitCID(d, len(c.in.cid))
	if !ok {
		return nil, false
	}
	if string(ch.CID) != string(c.in.cid) {
		c.stats.dropped.Add(1)
		return rest, true
	}
	h := record.Header{Type: record.TLS12CID, Version: ch.Version, Epoch: ch.Epoch, Seq: ch.Seq, Length: ch.Length}
	c.handleRecord(h, frag, d[:len(d)-len(rest)], &ch)
	return rest, true
}

// setReadCipher gives the record layer the keys of the next epoch and
// processes the records that were held for them. c.in is held.
func (c *Conn) setReadCipher(ci record.Cipher) {
	c.in.next = ci
	c.in.hsEpoch = c.in.cur.epoch + 1
	held := c.in.held
	c.in.held, c.in.heldBytes = nil, 0
	for _, rec := range held {
		c.handleRecords(rec)
	}
}

// handleRecord authenticates one record and acts on it. Records that fail
// authentication or replay checks are dropped and counted (RFC 6347
// §4.1.2.7), unless Config.AlertOnBadRecord says otherwise.
func (c *Conn) handleRecord(h record.Header, frag, whole []byte, ch *record.CIDHeader) {
	if c.handshakeDone.Load() && h.Version != c.state.Version {
		c.stats.dropped.Add(1)
		return
	}
	es := c.in.epochFor(h.Epoch)
	if es == nil {
		c.handleFutureRecord(h, frag, whole, ch)
		return
	}
	if (ch != nil) != es.cid {
		c.stats.dropped.Add(1) // with an ID where none is used, or without where one is
		return
	}
	if es.window != nil && !es.window.Check(h.Seq) {
		c.stats.replayed.Add(1)
		return
	}
	plain, err := c.open(es.cipher, &h, frag, ch)
	if err != nil {
		return
	}
	if es == c.in.prev && !fromOldEpoch(h) {
		c.stats.dropped.Add(1)
		return
	}
	if es.window != nil {
		es.window.Mark(h.Seq)
	}
	if c.in.note0 && h.Epoch == 0 && h.Type == record.Handshake {
		c.in.acks.note(0, h.Seq) // a DTLS 1.3 client acknowledges the ServerHello too
	}
	c.noteNewest(h, ch != nil)
	c.authenticated(h, plain)
}

// open authenticates and decrypts a record's fragment with ci: one with a
// connection ID (ch not nil) gets its real content type in h. A record
// that fails is counted, or ends the Conn (see badRecord); so does an
// authentic one with a connection ID whose inner plaintext is too long or
// has no content type (RFC 9146 §4, §5).
func (c *Conn) open(ci record.Cipher, h *record.Header, frag []byte, ch *record.CIDHeader) ([]byte, error) {
	if ch == nil {
		plain, err := ci.Open(*h, frag)
		if err != nil {
			c.badRecord(*h)
		}
		return plain, err
	}
	cc, ok := ci.(record.CIDCipher)
	if !ok {
		c.stats.dropped.Add(1)
		return nil, record.ErrBadRecordMAC
	}
	plain, typ, err := cc.OpenCID(*ch, frag)
	switch {
	case errors.Is(err, record.ErrRecordOverflow):
		c.failLocked(c.sendAlert(AlertRecordOverflow, err))
	case errors.Is(err, record.ErrNoContentType):
		c.failLocked(c.sendAlert(AlertUnexpectedMessage, err))
	case err != nil:
		c.badRecord(*h)
	}
	h.Type = typ
	return plain, err
}

// noteNewest notes a record that authenticated, if it carried our
// connection ID (cid) and is newer than every one before it: the one that
// may move the association to its sender's address (RFC 9146 §6).
func (c *Conn) noteNewest(h record.Header, cid bool) {
	if !cid {
		return
	}
	if n := &c.in.newest; h.Epoch > n.Epoch || h.Epoch == n.Epoch && h.Seq > n.Seq {
		*n = RecordID{Epoch: h.Epoch, Seq: h.Seq}
		if !c.in.sawNewest && c.in.onMove != nil {
			c.in.onMove()
		}
		c.in.sawNewest = true
	}
}

// fromOldEpoch reports whether a record of the epoch before the current
// one is expected: a retransmitted flight, and, after a renegotiation,
// application data sent before the peer's new keys were in use and
// reordered after the first record under them (RFC 6347 §4.1 lets the old
// keys be kept for that). An alert there would be unauthenticated after
// the first handshake, and stale after a renegotiation.
func fromOldEpoch(h record.Header) bool {
	switch h.Type {
	case record.Handshake, record.ChangeCipherSpec:
		return true
	case record.ApplicationData:
		return h.Epoch > 0
	}
	return false
}

// authenticated acts on a record that passed its epoch's checks.
func (c *Conn) authenticated(h record.Header, plain []byte) {
	if len(plain) > record.MaxPlaintext {
		c.overflow(h)
		return
	}
	if h.Epoch > 0 {
		c.stats.received.Add(1)
	}
	c.dispatch(h, plain)
}

// handleFutureRecord deals with a record of an epoch we cannot open now: the
// next epoch is opened if its keys are known, or held until they are while
// a handshake runs; any other epoch is dropped (RFC 6347 §4.1).
func (c *Conn) handleFutureRecord(h record.Header, frag, whole []byte, ch *record.CIDHeader) {
	if h.Epoch != c.in.cur.epoch+1 {
		c.stats.dropped.Add(1)
		return
	}
	if c.in.next == nil {
		if c.in.hs == nil || !c.in.hold(whole) {
			c.stats.dropped.Add(1)
		}
		return
	}
	if (ch != nil) != c.in.nextCID {
		c.stats.dropped.Add(1)
		return
	}
	plain, err := c.open(c.in.next, &h, frag, ch)
	if err != nil {
		return
	}
	w := &c.in.window1
	if h.Epoch != 1 {
		w = new(record.Window)
	}
	w.Init(c.in.window)
	w.Mark(h.Seq)
	c.in.advance(w)
	c.noteNewest(h, ch != nil)
	c.authenticated(h, plain)
}

// badRecord counts a record that failed authentication. During a
// handshake, one of the new epoch is remembered (see hsBase.pendingAlert).
func (c *Conn) badRecord(h record.Header) {
	c.stats.badRecords.Add(1)
	if h.Epoch == 0 {
		return
	}
	if c.config.AlertOnBadRecord {
		c.failLocked(c.sendAlert(AlertBadRecordMAC, nil))
		return
	}
	if hs := c.in.hs; hs != nil && hs.pendingAlert == nil {
		hs.pendingAlert, hs.sendAlert = errKeysDiffer, true
	}
}

// errKeysDiffer is the failure of a handshake whose peer's records of the
// new epoch did not authenticate.
var errKeysDiffer = errors.New("dtls: the peer's records in the new epoch fail authentication: the two sides' keys differ (a wrong pre-shared key?)")

// overflow handles an authenticated record whose plaintext exceeds 2^14
// bytes: fatal record_overflow (RFC 5246 §6.2.1); unprotected ones are
// dropped.
func (c *Conn) overflow(h record.Header) {
	if h.Epoch == 0 {
		c.stats.dropped.Add(1)
		return
	}
	c.failLocked(c.sendAlert(AlertRecordOverflow, nil))
}

// dispatch acts on an authenticated record's plaintext by content type.
func (c *Conn) dispatch(h record.Header, plain []byte) {
	switch h.Type {
	case record.Handshake:
		c.handleHandshakeRecord(h.Epoch, plain)
	case record.ChangeCipherSpec:
		// Epochs are explicit in DTLS, so the message only needs to be
		// well formed (RFC 5246 §7.1).
		if len(plain) != 1 || plain[0] != 1 {
			c.stats.dropped.Add(1)
		}
	case record.Alert:
		c.handleAlert(h.Epoch, plain)
	case record.Heartbeat:
		c.handleHeartbeat(h, plain)
	case record.ApplicationData:
		c.handleData(h, plain)
	case record.ACK:
		if c.in.cur.c13 == nil {
			c.stats.dropped.Add(1) // no such content type before DTLS 1.3
			return
		}
		c.handleACK(h.Epoch, plain)
	default:
		c.stats.dropped.Add(1)
	}
}

// handleData queues the data of an application record for Read, or keeps
// it until the handshake completes.
func (c *Conn) handleData(h record.Header, plain []byte) {
	switch {
	case h.Epoch == 0:
		c.stats.dropped.Add(1) // never accepted unprotected
	case len(plain) == 0:
		c.uselessRecord()
	case !c.handshakeDone.Load():
		if len(c.in.early) < maxEarlyData {
			c.in.early = append(c.in.early, append([]byte(nil), plain...))
		} else {
			c.stats.dropped.Add(1)
		}
	default:
		c.in.useless = 0
		c.rq.push(plain)
	}
}

// handleHandshakeRecord feeds the handshake fragments of a record to the
// reassembler. A malformed fragment ends the record. A fragment of a
// message before next_receive_seq is the peer retransmitting when it is
// authenticated or repeats what we received; a forged one changes nothing.
// Once keys are in use, records of an earlier epoch never supply a new
// message, but for the NewSessionTicket that a server sends before its
// ChangeCipherSpec (RFC 5077 §3.3), while one is expected.
func (c *Conn) handleHandshakeRecord(epoch uint16, b []byte) {
	for len(b) > 0 {
		h, frag, rest, ok := handshake.ParseFragment(b)
		if !ok {
			c.stats.dropped.Add(1)
			return
		}
		hs := c.in.hs
		switch {
		case c.isClient && h.Type == handshake.TypeHelloRequest && hs != nil:
			// Ignored while a handshake runs (RFC 5246 §7.4.1.1).
		case c.peerRenegotiates(epoch, h):
			if c.acceptPeerRenegotiation() {
				c.in.reasm.Push(h, frag)
			}
		case h.MessageSeq < c.in.reasm.Next():
			if hs != nil && hs.old != nil && hs.old(h, frag) {
				break
			}
			if epoch > 0 || hs != nil && hs.repeats(h, frag) {
				c.in.sawOld = true
			} else {
				c.stats.dropped.Add(1)
			}
		case epoch < c.in.hsEpoch && !(hs != nil && hs.plainTicket && h.Type == handshake.TypeNewSessionTicket):
			c.stats.dropped.Add(1)
		default:
			c.in.reasm.Push(h, frag)
		}
		b = rest
	}
}

// handleAlert processes an alert record (RFC 5246 §7.2). An alert in epoch
// 0 is not authenticated: during a handshake it ends it only if nothing
// else happens before the next timeout (see hsBase.pendingAlert).
func (c *Conn) handleAlert(epoch uint16, b []byte) {
	if len(b) != 2 {
		c.stats.dropped.Add(1)
		return
	}
	level, a := b[0], Alert(b[1])
	var err error
	switch {
	case a == AlertCloseNotify:
		err = io.EOF
	case level == alertLevelFatal:
		err = &AlertError{Alert: a, Fatal: true, Remote: true}
	case a == AlertNoRenegotiation && epoch > 0 && c.waitsForRenegotiation():
		c.renegotiationRefusedLocked()
		return
	default:
		c.uselessRecord()
		return
	}
	if epoch == 0 {
		if hs := c.in.hs; hs != nil {
			hs.pendingAlert = err
			c.in.lastErr = err
		}
		c.stats.dropped.Add(1)
		return
	}
	c.failLocked(err)
	if a == AlertCloseNotify && c.handshakeDone.Load() {
		// The peer's close_notify is answered with ours, and nothing is
		// written after it (RFC 5246 §7.2.1).
		c.out.Lock()
		_ = c.sendCloseNotifyLocked()
		c.out.Unlock()
	}
}

func (c *Conn) uselessRecord() {
	c.in.useless++
	if c.in.useless > maxUselessInRow {
		c.failLocked(c.sendAlert(AlertUnexpectedMessage, errTooManyUseless))
	}
}

// postHandshakeMessagesLocked refuses handshake messages that would start a
// renegotiation, which pathdtls does not support (RFC 5746 §4.5 lets us
// answer with a warning no_renegotiation). c.in is held.
func (c *Conn) postHandshakeMessagesLocked() {
	defer c.ackPostHandshake13Locked()
	for c.in.err == nil {
		m, ok := c.in.reasm.Pop()
		if !ok {
			if c.p13 != nil {
				c.in.reasm.Release() // an idle association keeps no window
			}
			return
		}
		if c.p13 != nil {
			c.postHandshake13Locked(m)
			continue
		}
		if m.Type != handshake.TypeHelloRequest && m.Type != handshake.TypeClientHello {
			c.failLocked(c.sendAlert(AlertUnexpectedMessage, nil))
			return
		}
		c.out.Lock()
		_ = c.sendAlertLocked(alertLevelWarning, AlertNoRenegotiation)
		c.out.Unlock()
		c.uselessRecord()
	}
}
