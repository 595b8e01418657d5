package transport

import "golang.org/x/crypto/cryptobyte"

// recordHeaderLen is the length of a DTLS record header (RFC 6347 §4.1):
// type (1), version (2), epoch (2), sequence number (6), length (2).
const recordHeaderLen = 13

// sentRingLen is how many recently sent datagrams a path remembers for
// validating ICMP messages. A router answers within a round trip, and a
// handshake flight is a handful of datagrams; an ICMP message about a
// datagram older than the last sentRingLen is rejected as not recent.
const sentRingLen = 64

// A recordID identifies the first record of a datagram: an ICMP message
// quotes the start of the datagram it is about, and a forger who has not
// seen our traffic cannot guess the epoch and 48-bit sequence number of a
// record we sent (RFC 6347 §4.1; RFC 8899 §4.6.1).
type recordID struct {
	typ     uint8
	version uint16
	epoch   uint16
	seq     uint64 // 48 bits
	length  uint16
}

// parseRecordID parses the record header at the start of b; whatever
// follows the header is not looked at.
func parseRecordID(b []byte) (recordID, bool) {
	var id recordID
	s := cryptobyte.String(b)
	ok := s.ReadUint8(&id.typ) &&
		s.ReadUint16(&id.version) &&
		s.ReadUint16(&id.epoch) &&
		s.ReadUint48(&id.seq) &&
		s.ReadUint16(&id.length)
	return id, ok
}

// A sentEntry is one datagram in a sentRing.
type sentEntry struct {
	id   recordID
	size int // UDP payload bytes
}

// A sentRing remembers the first record and the size of the datagrams a
// path sent most recently. It is not safe for concurrent use.
type sentRing struct {
	entries [sentRingLen]sentEntry
	next    int // index the next datagram is stored at
	n       int // number of valid entries
}

// add records a datagram about to be sent. A datagram that does not start
// with a record header is remembered by its size only, which no quote
// matches.
func (r *sentRing) add(datagram []byte) {
	id, ok := parseRecordID(datagram)
	if !ok {
		id = recordID{}
	}
	r.entries[r.next] = sentEntry{id: id, size: len(datagram)}
	r.next = (r.next + 1) % sentRingLen
	r.n = min(r.n+1, sentRingLen)
}

// lookup returns the size of the datagram whose first record header quote
// starts with. It reports false if quote is shorter than a record header or
// names no datagram in the ring.
func (r *sentRing) lookup(quote []byte) (int, bool) {
	id, ok := parseRecordID(quote)
	if !ok || id == (recordID{}) {
		return 0, false
	}
	for i := range r.n {
		if e := r.entries[i]; e.id == id {
			return e.size, true
		}
	}
	return 0, false
}

// largest returns the size of the largest datagram in the ring, or 0.
func (r *sentRing) largest() int {
	n := 0
	for i := range r.n {
		n = max(n, r.entries[i].size)
	}
	return n
}
