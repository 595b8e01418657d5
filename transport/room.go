package transport

import "time"

// roomWait bounds how long a reader waits for an association's application
// to make room in its receive queue before it hands the association more
// datagrams. While it waits, datagrams wait in the socket, whose buffer is
// larger, and the system drops them there if it must, without the CPU of
// opening them; an application that keeps reading keeps the wait short,
// and the bound covers a reader that waits for a core (the scheduler's
// time slice is 10 ms).
// One that stops reading costs its reader one wait, after which its
// datagrams are opened and dropped from the full queue (and counted, as
// Stats().DroppedData) until it reads again, so that it cannot stall the
// other associations of its reader.
const roomWait = 20 * time.Millisecond

// A roomWaiter waits for room in the receive queues of the associations
// of one reader, with one timer. It is not safe for concurrent use.
type roomWaiter struct {
	timer *time.Timer
}

// wait waits up to roomWait for room in a's queue, unless a's application
// already let a wait pass in vain and has not read since (a.congested).
// done ends the wait early.
func (w *roomWaiter) wait(a *assoc, done <-chan struct{}) {
	room := a.conn.ReceiveRoom()
	if room == nil {
		a.congested.Store(false)
		return
	}
	if a.congested.Load() {
		return
	}
	if w.timer == nil {
		w.timer = time.NewTimer(roomWait)
	} else {
		w.timer.Reset(roomWait)
	}
	select {
	case <-room:
		w.timer.Stop()
	case <-w.timer.C:
		a.congested.Store(true)
	case <-done:
		w.timer.Stop()
	}
}
