package fragment

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// Record content types (RFC 6347, Section 4.1; RFC 5246, Section 6.2.1).
const (
	typeChangeCipherSpec uint8 = 20
	typeHandshake        uint8 = 22
)

const (
	// maxRecordPayload is the largest DTLSPlaintext.length (RFC 6347, Section
	// 4.3.1; RFC 5246, Section 6.2.1).
	maxRecordPayload = 1 << 14
	// maxBodyLen is the largest body a uint24 length field can describe.
	maxBodyLen = 1<<24 - 1
)

// Out is one item of an outgoing flight: a handshake message, or (CCS true) a
// ChangeCipherSpec message (one byte, 1, in a record of type 20; RFC 5246,
// Section 7.1). Type, Seq and Body are unused for a ChangeCipherSpec.
//
// From and To, when To is not 0, limit a message to the bytes [From, To)
// of its body: what a retransmission still has to send of a message whose
// other fragments the peer acknowledged (RFC 9147 §7). NewDatagram starts
// the item in a datagram of its own.
type Out struct {
	Epoch       uint16
	CCS         bool
	NewDatagram bool
	From, To    int
	Type        handshake.Type
	Seq         uint16
	Body        []byte
}

// Record is one plaintext record chosen by Pack.
type Record struct {
	Epoch   uint16
	Type    uint8  // 20 ChangeCipherSpec or 22 Handshake
	Payload []byte // the CCS byte, or one or more handshake fragments each with its 12-byte header
}

// Pack splits a flight into datagrams of at most maxDatagram bytes each. maxPlaintext
// reports the largest record payload that fits in space bytes of a datagram for a
// record of the given epoch (record header and cipher expansion included), 0 if none;
// it must not decrease as space grows.
//
// Items keep their order; a handshake message is fragmented (never below 1 byte of
// body per fragment, except for an empty body) across records and datagrams as
// needed (RFC 6347, Section 4.2.3); consecutive items of the same epoch share a
// record while they fit, and a ChangeCipherSpec has a record of its own. A record
// never spans datagrams (Section 4.1.1), and no record payload exceeds 2^14 bytes.
// Pack returns an error if maxDatagram cannot carry even a 1-byte fragment, or if
// a body is too long for the 24-bit length field.
//
// The record that carries the last fragment of a split message ends with it: the
// next item starts a new record, in the same datagram if it fits. RFC 6347 allows
// more fragments after it, but Mbed TLS 2.28 takes a fragment's record to hold
// nothing after it (it steps over the whole message's length) and drops the rest
// of the record, so a flight packed that way never completes. Whole messages still
// share records, and every other fragment fills its record anyway.
func Pack(flight []Out, maxDatagram int, maxPlaintext func(epoch uint16, space int) int) ([][]Record, error) {
	var p Packer
	return p.Pack(flight, maxDatagram, maxPlaintext)
}

// A Packer runs Pack in memory it keeps from one call to the next: the
// payloads of a flight's records share one buffer, and its records one
// slice. What Pack returns stays valid until the Packer's next Pack. The
// zero Packer is ready for use; a Packer is not safe for concurrent use.
type Packer struct {
	maxDatagram  int
	maxPlaintext func(epoch uint16, space int) int

	payloads  []byte     // every record's payload, one after another
	records   []Record   // every record, datagram after datagram
	datagrams [][]Record // slices of records
	first     int        // index in records of the current datagram's first record
	used      int        // datagram bytes the current datagram's records take

	open  bool   // rec is being filled
	rec   Record // the open record; its payload is payloads[start:]
	start int    // where rec's payload starts in payloads
	room  int    // the largest payload rec may grow to
	space int    // datagram bytes that were free when rec was opened
}

// Pack is the function Pack, run in p's memory.
func (p *Packer) Pack(flight []Out, maxDatagram int, maxPlaintext func(epoch uint16, space int) int) ([][]Record, error) {
	p.reset(flight, maxDatagram, maxPlaintext)
	for _, o := range flight {
		var err error
		if o.NewDatagram {
			p.closeDatagram()
		}
		if o.CCS {
			err = p.addCCS(o.Epoch)
		} else {
			err = p.addMessage(o)
		}
		if err != nil {
			return nil, err
		}
	}
	p.closeDatagram()
	return p.datagrams, nil
}

// reset empties p for a flight, with room in its payload buffer for the
// whole flight, and two headers' worth per item for fragmentation.
func (p *Packer) reset(flight []Out, maxDatagram int, maxPlaintext func(epoch uint16, space int) int) {
	need := 0
	for _, o := range flight {
		need += 2*handshake.HeaderLen + len(o.Body)
	}
	if cap(p.payloads) < need {
		p.payloads = make([]byte, 0, need)
	}
	*p = Packer{
		maxDatagram:  maxDatagram,
		maxPlaintext: maxPlaintext,
		payloads:     p.payloads[:0],
		records:      p.records[:0],
		datagrams:    p.datagrams[:0],
	}
}

var errBodyTooLong = errors.New("dtls: handshake message body longer than 2^24-1 bytes")

func (p *Packer) addCCS(epoch uint16) error {
	if err := p.reserve(epoch, typeChangeCipherSpec, 1); err != nil {
		return err
	}
	p.payloads = append(p.payloads, 1)
	p.closeRecord()
	return nil
}

func (p *Packer) addMessage(o Out) error {
	if len(o.Body) > maxBodyLen {
		return errBodyTooLong
	}
	end := len(o.Body)
	if o.To != 0 {
		end = o.To
	}
	if o.From < 0 || o.From > end || end > len(o.Body) {
		return errors.New("dtls: flight item's range is outside its message")
	}
	for off := o.From; ; {
		left := end - off
		if err := p.reserve(o.Epoch, typeHandshake, handshake.HeaderLen+min(left, 1)); err != nil {
			return err
		}
		n := min(p.room-p.payloadLen()-handshake.HeaderLen, left)
		h := handshake.Header{
			Type:           o.Type,
			Length:         uint32(len(o.Body)),
			MessageSeq:     o.Seq,
			FragmentOffset: uint32(off),
			FragmentLength: uint32(n),
		}
		p.payloads = h.Append(p.payloads)
		p.payloads = append(p.payloads, o.Body[off:off+n]...)
		if off+n == end {
			if off > 0 || end < len(o.Body) {
				// The last fragment of a split message ends its record:
				// see Pack.
				p.closeRecord()
			}
			return nil
		}
		off += n
	}
}

// reserve makes sure that a record of the given epoch and type with at least need
// free payload bytes is open: the open record if it qualifies, else a new record
// in the current datagram, else a new record in a new datagram.
func (p *Packer) reserve(epoch uint16, typ uint8, need int) error {
	if p.open && p.rec.Epoch == epoch && p.rec.Type == typ && p.room-p.payloadLen() >= need {
		return nil
	}
	p.closeRecord()
	if p.openRecord(epoch, typ, need) {
		return nil
	}
	p.closeDatagram()
	if p.openRecord(epoch, typ, need) {
		return nil
	}
	return fmt.Errorf("dtls: a %d-byte datagram cannot carry a record of epoch %d with a %d-byte payload", p.maxDatagram, epoch, need)
}

// openRecord opens a record in the rest of the current datagram if one with need
// payload bytes fits there.
func (p *Packer) openRecord(epoch uint16, typ uint8, need int) bool {
	space := p.maxDatagram - p.used
	if space <= 0 {
		return false
	}
	room := min(p.maxPlaintext(epoch, space), maxRecordPayload)
	if room < need {
		return false
	}
	p.open, p.rec, p.room, p.space = true, Record{Epoch: epoch, Type: typ}, room, space
	p.start = len(p.payloads)
	return true
}

// payloadLen returns the length of the open record's payload.
func (p *Packer) payloadLen() int { return len(p.payloads) - p.start }

// closeRecord adds the open record, if any, to the current datagram.
func (p *Packer) closeRecord() {
	if !p.open {
		return
	}
	p.open = false
	p.rec.Payload = p.payloads[p.start:len(p.payloads):len(p.payloads)]
	p.used += p.wireSize(p.rec.Epoch, len(p.rec.Payload), p.space)
	p.records = append(p.records, p.rec)
}

// wireSize returns the fewest datagram bytes that carry a record of the epoch with
// an n-byte payload, as maxPlaintext reports it: the least space in [0, limit]
// for which maxPlaintext is at least n. maxPlaintext(epoch, limit) >= n.
func (p *Packer) wireSize(epoch uint16, n, limit int) int {
	return sort.Search(limit, func(space int) bool { return p.maxPlaintext(epoch, space) >= n })
}

// closeDatagram closes the open record and, unless it is empty, the current
// datagram.
func (p *Packer) closeDatagram() {
	p.closeRecord()
	if n := len(p.records); n > p.first {
		p.datagrams = append(p.datagrams, p.records[p.first:n:n])
	}
	p.first, p.used = len(p.records), 0
}
