package sock

import (
	"math"
	"sync"
)

// SentLogLen is the number of datagrams a [SentLog] remembers. A router
// answers within a round trip, and a handshake flight is a handful of
// datagrams; an ICMP message about a datagram older than the last
// SentLogLen no longer matches and is rejected as not recent (RFC 8899
// section 4.6.1).
const SentLogLen = 64

// A SentLog remembers the datagrams sent most recently, each by an ID that
// the caller derives from the start of the datagram and can derive again
// from the quote of an ICMP message about it, and by its size. The
// transport keys datagrams by the epoch and sequence number of their first
// DTLS record (epoch<<48 | seq, RFC 6347 section 4.1), which someone who
// has not seen the traffic cannot guess; a path prober keys them by probe
// number. The zero SentLog is empty and ready to use; it is safe for
// concurrent use.
type SentLog struct {
	mu sync.Mutex
	// ids and sizes are the datagrams, in two arrays rather than one of
	// pairs, which would pad each size to 8 bytes: a log lives in every
	// association. A UDP payload's size fits 16 bits.
	ids   [SentLogLen]uint64
	sizes [SentLogLen]uint16
	next  int // index the next datagram is stored at
	n     int // number of valid entries
}

// Add records a datagram with the given ID and size (UDP payload bytes),
// forgetting the oldest one if the log is full.
func (l *SentLog) Add(id uint64, size int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[l.next], l.sizes[l.next] = id, uint16(min(size, math.MaxUint16))
	l.next = (l.next + 1) % SentLogLen
	l.n = min(l.n+1, SentLogLen)
}

// Lookup returns the size of the most recent datagram recorded with id, and
// reports whether there is one.
func (l *SentLog) Lookup(id uint64) (size int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 1; i <= l.n; i++ {
		if j := (l.next - i + SentLogLen) % SentLogLen; l.ids[j] == id {
			return int(l.sizes[j]), true
		}
	}
	return 0, false
}

// Largest returns the size of the largest datagram in the log, or 0 if it
// is empty: the size to check a reported MTU against when the quote of an
// ICMP message is too short to tell which datagram it is about.
func (l *SentLog) Largest() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	largest := 0
	for i := range l.n {
		largest = max(largest, int(l.sizes[i]))
	}
	return largest
}

// Len returns the number of datagrams in the log.
func (l *SentLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
