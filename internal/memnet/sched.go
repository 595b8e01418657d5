package memnet

import (
	"container/heap"
	"time"
)

// An event is something the network does at a time: a datagram or an ICMP
// error arrives, a raw ICMP listener hears an error.
type event struct {
	at  time.Time
	seq uint64 // order of scheduling, which breaks ties
	fn  func() // runs without the network's lock
}

// eventHeap orders events by time, then by order of scheduling.
type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// scheduleLocked arranges for fn to run after d. Events run one at a time,
// in order, from one timer: the network's own ordering decides which of
// two events due at the same instant runs first, not the runtime's.
func (n *Network) scheduleLocked(d time.Duration, fn func()) {
	n.evSeq++
	heap.Push(&n.events, &event{at: time.Now().Add(d), seq: n.evSeq, fn: fn})
	n.armLocked()
}

// armLocked sets the timer for the earliest event, unless it is set for
// that time already or the events are being run (fire arms it when done).
func (n *Network) armLocked() {
	if n.firing || n.closed || len(n.events) == 0 {
		return
	}
	next := n.events[0].at
	if !n.armedAt.IsZero() && !next.Before(n.armedAt) {
		return
	}
	n.armedAt = next
	d := time.Until(next)
	if n.timer == nil {
		n.timer = time.AfterFunc(d, n.fire)
		return
	}
	n.timer.Reset(d)
}

// fire runs the events that are due, in order, and sets the timer for the
// next one.
func (n *Network) fire() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.running.Add(1)
	defer n.running.Done()
	n.firing = true
	n.armedAt = time.Time{}
	for len(n.events) > 0 && !n.events[0].at.After(time.Now()) {
		ev := heap.Pop(&n.events).(*event)
		n.mu.Unlock()
		ev.fn()
		n.mu.Lock()
		if n.closed {
			break
		}
	}
	n.firing = false
	n.armLocked()
	n.mu.Unlock()
}
