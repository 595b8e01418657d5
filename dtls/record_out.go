package dtls

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// epochOut is the write state of one epoch: its cipher and next sequence
// number (RFC 6347 §4.1: sequence numbers restart at 0 in every epoch).
type epochOut struct {
	epoch  uint16
	cipher record.Cipher
	seq    uint64
	cid    []byte           // the peer's connection ID, in every record of the epoch (RFC 9146); nil for none
	c13    *record.Cipher13 // DTLS 1.3's cipher for the epoch, instead of cipher
}

// outHalf is the sending direction of the record layer. During a handshake it
// keeps the previous epoch too, because a retransmitted flight may carry
// records of both (e.g. ChangeCipherSpec in epoch 0, Finished in epoch 1).
type outHalf struct {
	sync.Mutex
	err     error // first permanent error
	version uint16
	cur     *epochOut
	prev    *epochOut
	epoch0  epochOut // cur at first
	// dataEpoch is the epoch application data and heartbeats go in: the
	// newest whose handshake completed. During a renegotiation it stays
	// the old one, which the peer reads until the new handshake ends,
	// while the handshake's records go in the new epoch.
	dataEpoch uint16

	flight      []fragment.Out                    // the current or last flight, for retransmission
	sent        []sentRecord                      // the records that carried it (DTLS 1.3's ACKs name them)
	sentFrags   []sentFrag                        // the fragments they held
	fit         func(epoch uint16, space int) int // maxPlaintext, made once for fragment.Packer
	retransmits int
	// ccsSent says that a flight carrying our ChangeCipherSpec into the
	// current epoch was sent: until then the peer may not read it.
	ccsSent bool
	// closeSent: our close_notify went out, in answer to the peer's or
	// from Close; it goes once.
	closeSent bool
	// wantUpdate says that the current DTLS 1.3 epoch has sent as many
	// records as its keys should, and a KeyUpdate is due.
	wantUpdate atomic.Bool
}

func (o *outHalf) init() {
	o.version = VersionDTLS10 // until a version is negotiated (RFC 6347 §4.1)
	o.epoch0 = epochOut{cipher: record.NewNull()}
	o.cur = &o.epoch0
	o.fit = o.maxPlaintext
}

// nextEpoch switches writing to a new epoch protected by c, keeping the old
// one for retransmissions.
func (o *outHalf) nextEpoch(c record.Cipher) {
	o.prev = o.cur
	o.cur = &epochOut{epoch: o.prev.epoch + 1, cipher: c}
	o.ccsSent = false
}

// hasFlight reports whether a flight is kept for retransmission.
func (o *outHalf) hasFlight() bool {
	o.Lock()
	defer o.Unlock()
	return o.flight != nil
}

// alertEpoch is the epoch to send an alert in: the current one once our
// ChangeCipherSpec into it has been sent, else the one before, which is the
// newest the peer can read (RFC 5246 §7.2: alerts are protected by the
// current connection state).
func (o *outHalf) alertEpoch() uint16 {
	if o.ccsSent || o.prev == nil {
		return o.cur.epoch
	}
	return o.prev.epoch
}

func (o *outHalf) epochState(epoch uint16) *epochOut {
	if o.cur.epoch == epoch {
		return o.cur
	}
	if o.prev != nil && o.prev.epoch == epoch {
		return o.prev
	}
	return nil
}

// recordLen returns the length of a record of the epoch, header included,
// that carries n bytes of payload.
func (o *outHalf) recordLen(epoch uint16, n int) int {
	es := o.epochState(epoch)
	if es.c13 != nil {
		return record.HeaderLen13(len(es.cid)) + es.c13.SealedLen(n, 0)
	}
	if es.cid != nil {
		return record.HeaderLen + len(es.cid) + es.cipher.SealedLen(n+1)
	}
	return record.HeaderLen + es.cipher.SealedLen(n)
}

// maxPlaintext returns the largest record payload that fits in space bytes of
// a datagram for a record of the epoch, header and cipher expansion included.
func (o *outHalf) maxPlaintext(epoch uint16, space int) int {
	es := o.epochState(epoch)
	if es != nil && es.c13 != nil {
		return min(es.c13.MaxPayload(space, len(es.cid)), record.MaxPlaintext)
	}
	if es == nil || space <= record.HeaderLen+len(es.cid) {
		return 0
	}
	if es.cid != nil {
		// The content type goes inside, after the content (RFC 9146 §4).
		return max(min(es.cipher.MaxPlaintext(space-record.HeaderLen-len(es.cid)), record.MaxPlaintext)-1, 0)
	}
	return min(es.cipher.MaxPlaintext(space-record.HeaderLen), record.MaxPlaintext)
}

// appendRecord seals payload as a record of the given type and epoch and
// appends it to dst.
func (o *outHalf) appendRecord(dst []byte, typ record.ContentType, epoch uint16, payload []byte) ([]byte, error) {
	return o.appendPadded(dst, typ, epoch, payload, 0)
}

// appendPadded is appendRecord with padding zero bytes after the content
// (RFC 8446 §5.4): only a record whose content type is inside, DTLS 1.3's
// or one with a connection ID (RFC 9146 §4), can hold them.
func (o *outHalf) appendPadded(dst []byte, typ record.ContentType, epoch uint16, payload []byte, padding int) ([]byte, error) {
	es := o.epochState(epoch)
	if es == nil {
		return dst, errors.New("dtls: internal error: no write state for epoch")
	}
	if es.seq > record.MaxSeq {
		return dst, errSeqExhausted
	}
	seq := es.seq
	es.seq++
	if es.c13 != nil {
		if seq >= updateAfterRecords && es == o.cur {
			o.wantUpdate.Store(true) // the next Write sends a KeyUpdate (tls13_limits.go)
		}
		return es.c13.AppendRecord(dst, uint64(epoch), seq, es.cid, typ, payload, padding), nil
	}
	if es.cid != nil {
		cc, ok := es.cipher.(record.CIDCipher)
		if !ok {
			return dst, errors.New("dtls: internal error: a connection ID without a cipher for it")
		}
		h := record.CIDHeader{Version: o.version, Epoch: epoch, Seq: seq, CID: es.cid}
		return record.AppendCIDRecord(dst, h, typ, payload, padding, cc), nil
	}
	if padding != 0 {
		return dst, errors.New("dtls: internal error: padding in a record without an inner content type")
	}
	h := record.Header{Type: typ, Version: o.version, Epoch: epoch, Seq: seq}
	return record.AppendRecord(dst, h, payload, es.cipher), nil
}

// writeRecordLocked sends one record in its own datagram. c.out is held.
func (c *Conn) writeRecordLocked(typ record.ContentType, epoch uint16, payload []byte) error {
	if c.out.err != nil {
		return c.out.err
	}
	first := RecordID{Epoch: epoch}
	if es := c.out.epochState(epoch); es != nil {
		first.Seq = es.seq
	}
	bp := sendBuffers.Get().(*[]byte)
	defer putSendBuffer(bp)
	b, err := c.out.appendRecord((*bp)[:0], typ, epoch, payload)
	*bp = b
	if err != nil {
		c.out.err = err
		return err
	}
	return c.link.WriteDatagram(b, first)
}

// sendBuffers hold datagrams while they are sealed and sent: shared by
// every Conn, so that an association that sends nothing holds no buffer.
var sendBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, record.HeaderLen+record.MaxCiphertext)
	return &b
}}

// putSendBuffer returns a buffer to sendBuffers, unless a datagram of
// several records grew it past the size of one record.
func putSendBuffer(bp *[]byte) {
	if cap(*bp) <= record.HeaderLen+record.MaxCiphertext {
		*bp = (*bp)[:0]
		sendBuffers.Put(bp)
	}
}

// sendAlertLocked sends an alert record in the current epoch. Alerts are
// never retransmitted (RFC 6347 §4.2.7 leaves them unreliable).
func (c *Conn) sendAlertLocked(level uint8, a Alert) error {
	return c.writeRecordLocked(record.Alert, c.out.alertEpoch(), []byte{level, byte(a)})
}

// sendCloseNotifyLocked sends close_notify, once (RFC 5246 §7.2.1).
// c.out is held.
func (c *Conn) sendCloseNotifyLocked() error {
	if c.out.closeSent {
		return nil
	}
	c.out.closeSent = true
	return c.sendAlertLocked(alertLevelWarning, AlertCloseNotify)
}

// sendAlert sends a fatal alert and returns an *AlertError carrying err, for
// the caller to return, so that checks read like crypto/tls:
// return c.sendAlert(AlertDecodeError, err).
func (c *Conn) sendAlert(a Alert, err error) error {
	c.out.Lock()
	_ = c.sendAlertLocked(alertLevelFatal, a)
	c.out.Unlock()
	return &AlertError{Alert: a, Fatal: true, Err: err}
}
