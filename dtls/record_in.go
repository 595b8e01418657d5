package dtls

import (
	"io"
	"sync"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// Bounds on what the receive side holds for later.
const (
	maxHeldRecords  = 32 // records of the next epoch waiting for its keys
	maxHeldBytes    = 1 << 16
	maxEarlyData    = 16 // application records that arrived before the handshake finished
	maxUselessInRow = 16 // warning alerts, empty records and the like, as crypto/tls allows
)

// epochIn is the read state of one epoch: its cipher and replay window.
type epochIn struct {
	epoch  uint16
	cipher record.Cipher
	window *record.Window
}

// inHalf is the receiving direction of the record layer.
type inHalf struct {
	sync.Mutex
	err    error // first permanent error
	window int   // replay window size for new epochs
	buf    []byte
	rest   []byte // records of the current datagram not yet processed

	cur, prev *epochIn
	next      record.Cipher // cipher of epoch cur+1, once the handshake knows it
	held      [][]byte      // records of epoch cur+1 that came before its keys
	heldBytes int

	reasm   *fragment.Reassembler
	hsEpoch uint16   // handshake messages must come in this epoch or later
	sawOld  bool     // a handshake fragment from before next_receive_seq arrived
	early   [][]byte // application data that arrived during the handshake
	pending []byte   // a record's data kept for a Read whose buffer was short
	useless int
}

func (in *inHalf) init(cfg *Config) {
	in.window = cfg.replayWindow()
	// Room for one maximal record. A larger datagram is truncated and its
	// last record dropped; DTLS peers size datagrams to the path MTU.
	in.buf = make([]byte, record.HeaderLen+record.MaxCiphertext)
	in.cur = &epochIn{cipher: record.NewNull(), window: record.NewWindow(in.window)}
	in.reasm = fragment.NewReassembler(fragment.Limits{})
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
	in.cur = &epochIn{epoch: in.prev.epoch + 1, cipher: in.next, window: w}
	in.next = nil
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

// handleDatagram processes every record of a datagram read during the
// handshake. Records never span datagrams (RFC 6347 §4.1.1).
func (c *Conn) handleDatagram(d []byte) error {
	for len(d) > 0 {
		h, frag, rest, ok := record.Split(d)
		if !ok {
			c.stats.dropped.Add(1) // the rest of the datagram cannot be framed
			return nil
		}
		data, err := c.handleRecord(h, frag, d[:len(d)-len(rest)])
		if err != nil {
			return err
		}
		if data != nil && len(c.in.early) < maxEarlyData {
			c.in.early = append(c.in.early, append([]byte(nil), data...))
		}
		d = rest
	}
	return nil
}

// setReadCipher gives the record layer the keys of the next epoch and
// processes the records that were held for them.
func (c *Conn) setReadCipher(ci record.Cipher) error {
	c.in.next = ci
	c.in.hsEpoch = c.in.cur.epoch + 1
	held := c.in.held
	c.in.held, c.in.heldBytes = nil, 0
	for _, rec := range held {
		if err := c.handleDatagram(rec); err != nil {
			return err
		}
	}
	return nil
}

// handleRecord authenticates one record and acts on it. It returns the
// plaintext of an application data record for the caller to deliver. Records
// that fail authentication or replay checks are dropped and counted
// (RFC 6347 §4.1.2.7), unless Config.AlertOnBadRecord says otherwise.
func (c *Conn) handleRecord(h record.Header, frag, whole []byte) ([]byte, error) {
	if c.handshakeDone.Load() && h.Version != c.state.Version {
		c.stats.dropped.Add(1)
		return nil, nil
	}
	es := c.in.epochFor(h.Epoch)
	if es == nil {
		return nil, c.handleFutureRecord(h, frag, whole)
	}
	if es == c.in.prev && h.Type != record.Handshake && h.Type != record.ChangeCipherSpec {
		// Only a retransmitted flight is expected from an old epoch; an
		// alert there would be unauthenticated once keys are in use.
		c.stats.dropped.Add(1)
		return nil, nil
	}
	if !es.window.Check(h.Seq) {
		c.stats.replayed.Add(1)
		return nil, nil
	}
	plain, err := es.cipher.Open(h, frag)
	if err != nil {
		return nil, c.badRecord(h)
	}
	es.window.Mark(h.Seq)
	if len(plain) > record.MaxPlaintext {
		return nil, c.overflow(h)
	}
	return c.dispatch(h, plain)
}

// handleFutureRecord deals with a record of an epoch we cannot open now: the
// next epoch is opened if its keys are known, or held briefly; any other
// epoch is dropped (RFC 6347 §4.1).
func (c *Conn) handleFutureRecord(h record.Header, frag, whole []byte) error {
	if h.Epoch != c.in.cur.epoch+1 {
		c.stats.dropped.Add(1)
		return nil
	}
	if c.in.next == nil {
		if !c.in.hold(whole) {
			c.stats.dropped.Add(1)
		}
		return nil
	}
	w := record.NewWindow(c.in.window)
	plain, err := c.in.next.Open(h, frag)
	if err != nil {
		return c.badRecord(h)
	}
	w.Mark(h.Seq)
	c.in.advance(w)
	if len(plain) > record.MaxPlaintext {
		return c.overflow(h)
	}
	data, err := c.dispatch(h, plain)
	if data != nil && len(c.in.early) < maxEarlyData {
		c.in.early = append(c.in.early, append([]byte(nil), data...))
	}
	return err
}

func (c *Conn) badRecord(h record.Header) error {
	c.stats.badRecords.Add(1)
	if c.config.AlertOnBadRecord && h.Epoch > 0 {
		return c.fail(c.sendAlert(AlertBadRecordMAC, nil))
	}
	return nil
}

// overflow handles an authenticated record whose plaintext exceeds 2^14
// bytes: fatal record_overflow (RFC 5246 §6.2.1); unprotected ones are
// dropped.
func (c *Conn) overflow(h record.Header) error {
	if h.Epoch == 0 {
		c.stats.dropped.Add(1)
		return nil
	}
	return c.fail(c.sendAlert(AlertRecordOverflow, nil))
}

// fail makes err the permanent read error.
func (c *Conn) fail(err error) error {
	if c.in.err == nil {
		c.in.err = err
	}
	return err
}

// dispatch acts on an authenticated record's plaintext by content type.
func (c *Conn) dispatch(h record.Header, plain []byte) ([]byte, error) {
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
		return nil, c.handleAlert(plain)
	case record.Heartbeat:
		c.handleHeartbeat(h, plain)
	case record.ApplicationData:
		if h.Epoch == 0 {
			c.stats.dropped.Add(1) // never accepted unprotected
			return nil, nil
		}
		if len(plain) == 0 {
			return nil, c.uselessRecord()
		}
		c.in.useless = 0
		return plain, nil
	default:
		c.stats.dropped.Add(1)
	}
	return nil, nil
}

// handleHandshakeRecord feeds the handshake fragments of a record to the
// reassembler. A malformed fragment ends the record. Once keys are in use,
// records of an earlier epoch can only be retransmissions: they are looked at
// to notice that, and never supply a new message.
func (c *Conn) handleHandshakeRecord(epoch uint16, b []byte) {
	for len(b) > 0 {
		h, frag, rest, ok := handshake.ParseFragment(b)
		if !ok {
			c.stats.dropped.Add(1)
			return
		}
		switch {
		case h.MessageSeq < c.in.reasm.Next():
			c.in.sawOld = true
		case epoch < c.in.hsEpoch:
			c.stats.dropped.Add(1)
		default:
			c.in.reasm.Push(h, frag)
		}
		b = rest
	}
}

// handleAlert processes an alert record (RFC 5246 §7.2).
func (c *Conn) handleAlert(b []byte) error {
	if len(b) != 2 {
		c.stats.dropped.Add(1)
		return nil
	}
	a := Alert(b[1])
	if a == AlertCloseNotify {
		return c.fail(io.EOF)
	}
	if b[0] == alertLevelFatal {
		return c.fail(&AlertError{Alert: a, Fatal: true, Remote: true})
	}
	if a == AlertNoRenegotiation || a == AlertUserCanceled || b[0] == alertLevelWarning {
		return c.uselessRecord()
	}
	return nil
}

func (c *Conn) uselessRecord() error {
	c.in.useless++
	if c.in.useless > maxUselessInRow {
		return c.fail(c.sendAlert(AlertUnexpectedMessage, errTooManyUseless))
	}
	return nil
}
