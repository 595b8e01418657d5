package dtls

import (
	"sync"

	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// A BatchLink is a Link that can send several datagrams at once, with as
// few system calls as the system allows (sendmmsg, UDP segmentation).
// [Conn.WriteBatch] uses it; over a plain Link it sends one datagram at a
// time.
type BatchLink interface {
	Link
	// WriteDatagrams sends ds in order, firsts[i] naming the first record
	// of ds[i], and returns how many it sent from the start; if that is
	// fewer than len(ds), err says why ds[n] was not sent, as
	// WriteDatagram would. The datagrams after ds[n] may have been sent
	// or not; the engine does not send them again.
	WriteDatagrams(ds [][]byte, firsts []RecordID) (n int, err error)
}

// WriteBatch sends each of bufs as the data of one record in a datagram of
// its own, as Write does, but seals them together and hands them to the
// link at once, which a BatchLink sends with as few system calls as it
// can. It returns the number of records sent from the start. A buffer that
// does not fit (see MaxPayload) ends the batch: the records before it are
// sent, and the error is a *PayloadTooLargeError.
func (c *Conn) WriteBatch(bufs [][]byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if err := c.writable(); err != nil {
		return 0, err
	}
	if _, passed := c.writeDeadline.Wait(); passed {
		return 0, errDeadline("write")
	}
	if c.out.wantUpdate.Load() {
		_ = c.UpdateKeys(false) // the keys' limit is near (RFC 9147 §4.5.3)
	}
	c.out.Lock()
	defer c.out.Unlock()
	max := c.out.maxPlaintext(c.out.dataEpoch, c.link.MaxDatagramSize())
	var tooLarge error
	for i, b := range bufs {
		if len(b) > max {
			bufs, tooLarge = bufs[:i], &PayloadTooLargeError{Size: len(b), Max: max}
			break
		}
	}
	n, err := c.writeBatchLocked(bufs)
	if err == nil {
		err = tooLarge
	}
	return n, err
}

// writeBatchLocked seals bufs as application data records of the current
// epoch and sends them, one per datagram. c.out is held.
func (c *Conn) writeBatchLocked(bufs [][]byte) (int, error) {
	if c.out.err != nil {
		return 0, c.out.err
	}
	if len(bufs) == 0 {
		return 0, nil
	}
	s := batches.Get().(*batchScratch)
	defer s.put()
	if err := c.sealBatchLocked(s, bufs); err != nil {
		c.out.err = err
		return 0, err
	}
	if bl, ok := c.link.(BatchLink); ok {
		return bl.WriteDatagrams(s.datagrams, s.firsts)
	}
	for i, d := range s.datagrams {
		if err := c.link.WriteDatagram(d, s.firsts[i]); err != nil {
			return i, err
		}
	}
	return len(s.datagrams), nil
}

// sealBatchLocked seals bufs into s, one record each. c.out is held.
func (c *Conn) sealBatchLocked(s *batchScratch, bufs [][]byte) error {
	es := c.out.epochState(c.out.dataEpoch)
	need := 0
	for _, b := range bufs {
		need += c.out.recordLen(es.epoch, len(b))
	}
	if cap(s.buf) < need {
		s.buf = make([]byte, 0, need)
	}
	ends := s.ends[:0]
	for _, b := range bufs {
		s.firsts = append(s.firsts, RecordID{Epoch: es.epoch, Seq: es.seq})
		var err error
		if s.buf, err = c.out.appendRecord(s.buf, record.ApplicationData, es.epoch, b); err != nil {
			return err
		}
		ends = append(ends, len(s.buf))
	}
	s.ends = ends
	start := 0
	for _, end := range ends {
		s.datagrams = append(s.datagrams, s.buf[start:end:end])
		start = end
	}
	return nil
}

// A batchScratch holds a batch while it is sealed and sent: shared by
// every Conn through batches, so that the data path does not allocate.
type batchScratch struct {
	buf       []byte
	ends      []int
	datagrams [][]byte
	firsts    []RecordID
}

var batches = sync.Pool{New: func() any { return new(batchScratch) }}

// maxBatchScratch bounds the buffer a batchScratch keeps for the next
// batch: a rare huge batch is not kept.
const maxBatchScratch = 1 << 20

func (s *batchScratch) put() {
	if cap(s.buf) > maxBatchScratch {
		return
	}
	clear(s.datagrams)
	s.buf, s.ends, s.datagrams, s.firsts = s.buf[:0], s.ends[:0], s.datagrams[:0], s.firsts[:0]
	batches.Put(s)
}
