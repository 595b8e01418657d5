package dtls

import (
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/internal/deadline"
)

// TestRecvQueueRoom checks ReceiveRoom's view of the queue: nil while a
// record fits, a channel once it is full, a value on it once a read made
// room or the queue closed, and the drop of the oldest record when the
// owner pushes anyway.
func TestRecvQueueRoom(t *testing.T) {
	var q recvQueue
	q.init(4 * pooledRecord)
	rec := make([]byte, pooledRecord)
	for i := range 3 {
		if q.room() != nil {
			t.Fatalf("no room with %d records of 4 queued", i)
		}
		q.push(rec)
	}
	q.push(rec)
	room := q.room()
	if room == nil {
		t.Fatal("room in a full queue")
	}
	select {
	case <-room:
		t.Fatal("a full queue says it has room")
	default:
	}
	buf := make([]byte, pooledRecord)
	if _, err, _ := q.take(buf); err != nil {
		t.Fatal(err)
	}
	select {
	case <-room:
	default:
		t.Fatal("a read made room and said nothing")
	}
	if q.room() != nil {
		t.Fatal("no room after a read")
	}
	q.push(rec)
	q.push(rec) // does not fit: the oldest goes
	if got := q.dropped.Load(); got != 1 {
		t.Fatalf("%d records dropped, want 1", got)
	}
	room = q.room()
	q.close(io.EOF)
	select {
	case <-room:
	default:
		t.Fatal("closing a full queue did not end the wait for room")
	}
	if q.room() != nil {
		t.Fatal("a closed queue asks to wait for room")
	}
}

// TestRecvQueueRoomWaits checks that a waiter on a full queue wakes when a
// reader that blocks in Read takes a record.
func TestRecvQueueRoomWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var q recvQueue
		q.init(pooledRecord)
		q.push(make([]byte, pooledRecord))
		room := q.room()
		if room == nil {
			t.Fatal("room in a full queue")
		}
		var d deadline.Deadline
		go func() {
			time.Sleep(time.Second)
			q.read(make([]byte, pooledRecord), &d)
		}()
		start := time.Now()
		<-room
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("the wait for room ended after %v, want 1s, when the reader read", waited)
		}
	})
}
