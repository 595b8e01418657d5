package dtls

import (
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// The DTLS 1.3 record layer in the engine (RFC 9147 §4).
//
// Epoch 0 keeps the DTLSPlaintext header of DTLS 1.2; the epochs after it
// (2 for the handshake, 3 for the first application data, one more per
// KeyUpdate; 1 is early data, which pathdtls does not send) use the unified
// header, whose two epoch bits select among the epochs the receiver holds:
// the current one, the one before it, and the next once its keys are known.
// Their state sits in the same epochIn and epochOut as DTLS 1.2's, with a
// *record.Cipher13 instead of a record.Cipher.

// epoch13 returns the read state whose epoch has the low bits of a unified
// header, or nil; next says it is the epoch after the current one, whose
// keys are armed but which no record has used yet.
func (in *inHalf) epoch13(bits uint8) (es *epochIn, next bool) {
	switch {
	case in.cur.c13 != nil && uint8(in.cur.epoch&3) == bits:
		return in.cur, false
	case in.next13 != nil && uint8(in.next13.epoch&3) == bits:
		return in.next13, true
	case in.prev != nil && in.prev.c13 != nil && uint8(in.prev.epoch&3) == bits:
		return in.prev, false
	}
	return nil, false
}

// setReadCipher13 arms the keys of a later epoch for reading, and processes
// the records held for them. Handshake messages come in that epoch or later
// from now on. c.in is held.
func (c *Conn) setReadCipher13(ci *record.Cipher13, epoch uint16, handshake bool) {
	c.in.next13 = &epochIn{epoch: epoch, c13: ci, cid: c.in.nextCID}
	if handshake {
		c.in.hsEpoch = epoch
	}
	held := c.in.held
	c.in.held, c.in.heldBytes = nil, 0
	for _, rec := range held {
		c.handleRecords(rec)
	}
}

// handleRecord13 processes the record with a unified header at the start
// of d (RFC 9147 §4) and returns the rest of the datagram; ok is false if
// it cannot be framed. A record of an epoch whose keys are not yet known
// is held while a handshake runs; one that fails authentication or
// repeats a record received is dropped (RFC 9147 §4.5.2, §4.5.3).
func (c *Conn) handleRecord13(d []byte) (rest []byte, ok bool) {
	hdr, body, rest, err := record.ParseUnified(d, len(c.in.cid))
	if err != nil {
		// Before the keys, and the connection ID they come with, are
		// known, a record with an ID cannot be framed: the rest of the
		// datagram is held for them.
		if d[0]&0x10 != 0 && len(c.in.cid) == 0 && c.in.hs != nil && c.in.next13 == nil && c.in.hold(d) {
			return nil, true
		}
		return nil, false
	}
	whole := d[:len(d)-len(rest)]
	es, next := c.in.epoch13(hdr[0] & 3)
	if es == nil {
		if c.in.hs == nil || c.in.next13 != nil || !c.in.hold(whole) {
			c.stats.dropped.Add(1)
		}
		return rest, true
	}
	if hasCID := hdr[0]&0x10 != 0; hasCID != es.cid ||
		hasCID && string(hdr[1:1+len(c.in.cid)]) != string(c.in.cid) {
		c.stats.dropped.Add(1)
		return rest, true
	}
	expected := uint64(0)
	if es.window != nil {
		expected = es.window.Next()
	}
	var (
		typ   record.ContentType
		plain []byte
		seq   uint64
	)
	// The peer's newest epoch is the one whose records the resync tries
	// (tls13_limits.go); its failures count toward the limits.
	newest := es == c.in.cur && c.in.next13 == nil || next
	if p := c.p13; p != nil && newest && p.badRun >= resyncAfter {
		typ, plain, seq, err = c.openResync13(es, whole, expected)
	} else {
		typ, plain, seq, err = es.c13.Open(hdr, body, uint64(es.epoch), expected)
	}
	if err != nil {
		c.badRecord13(es.epoch, newest, err)
		return rest, true
	}
	if p := c.p13; p != nil && newest {
		p.badRun = 0
	}
	if es.window != nil && !es.window.Check(seq) {
		c.stats.replayed.Add(1)
		return rest, true
	}
	if next {
		w := new(record.Window)
		w.Init(c.in.window)
		es.window = w
		c.in.advance13(es)
		c.newPeerEpoch13()
	}
	es.window.Mark(seq)
	h := record.Header{Type: typ, Version: VersionDTLS12, Epoch: es.epoch, Seq: seq}
	c.noteNewest(h, es.cid)
	if typ == record.Handshake {
		c.in.acks.note(es.epoch, seq)
	}
	c.authenticated(h, plain)
	return rest, true
}

// advance13 makes es, the next epoch, current.
func (in *inHalf) advance13(es *epochIn) {
	in.prev, in.cur = in.cur, es
	in.next13 = nil
}

// newPeerEpoch13 resets what the limits count of the peer's epoch, once
// its next is in use. c.in is held.
func (c *Conn) newPeerEpoch13() {
	if p := c.p13; p != nil {
		p.failed, p.badRun = 0, 0
	}
}

// badRecord13 counts a record that failed authentication, or ends the
// association for an authentic one without a content type (RFC 8446 §5.4).
func (c *Conn) badRecord13(epoch uint16, newest bool, err error) {
	switch err {
	case record.ErrNoContentType:
		c.failLocked(c.sendAlert(AlertUnexpectedMessage, err))
		return
	case record.ErrRecordOverflow:
		c.failLocked(c.sendAlert(AlertRecordOverflow, err))
		return
	}
	if p := c.p13; p != nil && newest {
		p.badRun++
		c.authFailed13()
	}
	c.badRecord(record.Header{Epoch: epoch})
}

// nextEpoch13 switches writing to epoch, protected by ci, keeping the
// epoch before it for retransmissions. cid is the peer's connection ID,
// nil for none (RFC 9147 §9).
func (o *outHalf) nextEpoch13(ci *record.Cipher13, epoch uint16, cid []byte) {
	o.prev = o.cur
	o.cur = &epochOut{epoch: epoch, c13: ci, cid: cid}
	o.ccsSent = true // DTLS 1.3 has no ChangeCipherSpec: the epoch is readable at once
	o.wantUpdate.Store(false)
}
