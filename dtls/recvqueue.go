package dtls

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/pathdtls/pathdtls/internal/deadline"
)

// DefaultReceiveQueueSize is the number of bytes of decrypted application
// data a Conn holds for Read when Config.ReceiveQueueSize is zero.
const DefaultReceiveQueueSize = 64 << 10

// pooledRecord is the capacity of the pooled buffers that hold a record's
// data in the receive queue: a record that fits a 1500-byte path. Larger
// records get a buffer of their own.
const pooledRecord = 1536

var recordPool = sync.Pool{New: func() any {
	b := make([]byte, 0, pooledRecord)
	return &b
}}

// A recvQueue holds the data of the application records that the engine
// decrypted, in order, for Read. It is bounded in bytes: when a record does
// not fit, the oldest records are dropped and counted, as a socket's
// receive buffer would drop datagrams. It is safe for concurrent use.
type recvQueue struct {
	mu    sync.Mutex
	limit int
	bytes int
	items []*[]byte // a ring would save the copy; records are few
	head  int
	err   error         // returned once the queue is empty
	ready chan struct{} // holds a token while items or err wait for a reader
	space chan struct{} // holds a token once a read made room, for room
	// dropped counts the records dropped because the queue was full.
	dropped atomic.Uint64
}

func (q *recvQueue) init(limit int) {
	q.limit = limit
	q.ready = make(chan struct{}, 1)
}

// room returns nil if a record of pooledRecord bytes fits in the queue,
// or else a channel that receives a token once a read has made room for
// one (or the queue has closed).
func (q *recvQueue) room() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.hasRoomLocked() {
		return nil
	}
	if q.space == nil {
		q.space = make(chan struct{}, 1) // only for a queue that fills
	}
	select {
	case <-q.space: // a token from before it filled
	default:
	}
	return q.space
}

func (q *recvQueue) hasRoomLocked() bool {
	return q.err != nil || q.bytes+min(pooledRecord, q.limit) <= q.limit
}

// push queues a copy of data. It never blocks.
func (q *recvQueue) push(data []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return
	}
	for q.bytes+len(data) > q.limit && q.head < len(q.items) {
		q.dropOldestLocked()
	}
	if len(data) > q.limit {
		q.dropped.Add(1)
		return
	}
	q.items = append(q.items, copyRecord(data))
	q.bytes += len(data)
	q.signal()
}

func (q *recvQueue) dropOldestLocked() {
	b := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	q.bytes -= len(*b)
	releaseRecord(b)
	q.dropped.Add(1)
	q.compactLocked()
}

// compactLocked moves the waiting items to the front once half of the
// slice is spent, so that it does not grow without bound.
func (q *recvQueue) compactLocked() {
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}

// close makes Read return err once the queued data has been read. The
// first error wins.
func (q *recvQueue) close(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil {
		q.err = err
		q.signal()
		q.signalSpace()
	}
}

// signalSpace tells a waiter on room that there is room. q.mu is held.
func (q *recvQueue) signalSpace() {
	if q.space == nil {
		return
	}
	select {
	case q.space <- struct{}{}:
	default:
	}
}

func (q *recvQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// read copies the oldest record into b, waiting for one until d passes.
func (q *recvQueue) read(b []byte, d *deadline.Deadline) (int, error) {
	for {
		n, err, ok := q.take(b)
		if ok {
			return n, err
		}
		expired, passed := d.Wait()
		if passed {
			return 0, errDeadline("read")
		}
		select {
		case <-q.ready:
		case <-expired:
			return 0, errDeadline("read")
		}
	}
}

// take copies the oldest record into b, or returns the error once the
// queue is empty; ok is false if there is neither.
func (q *recvQueue) take(b []byte) (n int, err error, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer func() {
		if q.head < len(q.items) || q.err != nil {
			q.signal() // for the next reader
		}
	}()
	if q.head < len(q.items) {
		r := q.items[q.head]
		if len(b) < len(*r) {
			return 0, io.ErrShortBuffer, true
		}
		n = copy(b, *r)
		q.items[q.head] = nil
		q.head++
		q.bytes -= n
		releaseRecord(r)
		q.compactLocked()
		if q.hasRoomLocked() {
			q.signalSpace()
		}
		return n, nil, true
	}
	if q.err != nil {
		return 0, q.err, true
	}
	return 0, nil, false
}

// copyRecord returns a buffer holding a copy of d, from the pool when it
// fits.
func copyRecord(d []byte) *[]byte {
	if len(d) > pooledRecord {
		b := append([]byte(nil), d...)
		return &b
	}
	b := recordPool.Get().(*[]byte)
	*b = append((*b)[:0], d...)
	return b
}

func releaseRecord(b *[]byte) {
	if cap(*b) == pooledRecord {
		recordPool.Put(b)
	}
}
