package dtls

import (
	"net"

	"golang.org/x/crypto/cryptobyte"
)

// A Path tells the engine how large a datagram may be, and hears how its
// flights fared, so that it can tell a narrow path from a lossy one. Sizes
// are UDP payload bytes.
//
// The engine asks MaxDatagramSize before every transmission of a flight and
// before every Write. When it returns less than the largest datagram of the
// flight in progress, the flight is sent again at once, fragmented to the
// new size (see [Conn.PathShrank]).
type Path interface {
	// MaxDatagramSize returns the largest datagram the engine may send now.
	MaxDatagramSize() int
	// FlightLost reports that the flight whose largest datagram was size
	// bytes went unanswered: its retransmission timer expired, or the peer
	// retransmitted its own previous flight, which says ours was lost
	// (RFC 6347 §4.2.4). Through a black hole no other signal comes, so a
	// Path may answer with a smaller MaxDatagramSize (RFC 6347 §4.1.1.1);
	// the engine then does not double its timer for that retransmission.
	FlightLost(size int)
	// FlightAnswered reports that the peer answered a flight whose largest
	// datagram was size bytes: a datagram of that size gets through
	// (RFC 8899 §4.1).
	FlightAnswered(size int)
}

// tls12CID is the outer content type of a record with a connection ID
// (RFC 9146 §4).
const tls12CID = 25

// RecordHeaderLen is the length of a DTLS record header (RFC 6347 §4.1):
// the least of a datagram an ICMP message must quote to show which record
// it is about.
const RecordHeaderLen = 13

// A RecordID names a record by its epoch and sequence number (RFC 6347
// §4.1), which no one who has not seen the association's traffic can guess.
type RecordID struct {
	Epoch uint16
	Seq   uint64 // 48 bits
}

// ParseRecordID returns the epoch and sequence number of the DTLS record
// header at the start of b, for matching the quote of an ICMP message to a
// datagram that was sent (RFC 8899 §4.6.1). Only the 13 bytes of the header
// are looked at; it reports false if b is shorter or is no DTLS header. A
// record with a connection ID (RFC 9146 §4) has its epoch and sequence
// number where the others have them.
func ParseRecordID(b []byte) (RecordID, bool) {
	var (
		id              RecordID
		typ             uint8
		version, length uint16
	)
	s := cryptobyte.String(b)
	ok := s.ReadUint8(&typ) && s.ReadUint16(&version) &&
		s.ReadUint16(&id.Epoch) && s.ReadUint48(&id.Seq) && s.ReadUint16(&length) &&
		version>>8 == 254 && (typ >= 20 && typ <= 24 || typ == tls12CID)
	return id, ok
}

// DatagramKey returns the key that names a datagram beginning with b in
// a log of the datagrams sent, so that the quote of an ICMP message, which
// begins the same way, finds the datagram it is about (RFC 8899 §4.6.1).
// Up to DTLS 1.2 the key is the first record's epoch and sequence number,
// as ParseRecordID reads them. A DTLS 1.3 record's sequence number is
// encrypted (RFC 9147 §4.2.3); it is named instead by a hash of its first
// 16 bytes, the header and the start of its ciphertext, which differ from
// record to record and which only who saw the datagram knows. ok is false
// if b is too short, or starts no DTLS record.
func DatagramKey(b []byte) (key uint64, ok bool) {
	if len(b) > 0 && b[0]&0xe0 == 0x20 {
		if len(b) < datagramKeyLen13 {
			return 0, false
		}
		h := uint64(14695981039346656037) // FNV-1a, inline: no allocation per datagram
		for _, c := range b[:datagramKeyLen13] {
			h = (h ^ uint64(c)) * 1099511628211
		}
		return h | 1<<63, true
	}
	id, ok := ParseRecordID(b)
	return uint64(id.Epoch)<<48 | id.Seq&(1<<48-1), ok
}

// datagramKeyLen13 is how much of a DTLS 1.3 datagram names it: the
// longest unified header without a connection ID is 5 bytes, and every
// record's ciphertext has at least 16 (RFC 9147 §4.2.3).
const datagramKeyLen13 = 16

// A Link carries the datagrams of a Conn whose owner reads the socket, as
// package transport does: the owner passes every datagram from the peer to
// [Conn.HandleDatagram], and the Conn sends through the Link and runs its
// own timers. A Link's methods may be called from any goroutine, with the
// Conn's locks held, so they must not call back into the Conn or block.
type Link interface {
	Path
	// WriteDatagram sends b, one datagram. first names its first record,
	// so that an ICMP message about it can be matched without parsing it.
	// An error wrapping ErrMessageTooLong says the datagram was too large
	// for the path; the engine asks MaxDatagramSize again.
	WriteDatagram(b []byte, first RecordID) error
	// HandshakeDone is called once, without the Conn's locks held, when the
	// handshake completes (err nil) or fails.
	HandshakeDone(err error)
	// Ended is called once, without the Conn's locks held, when an
	// association whose handshake completed ends: io.EOF after the peer's
	// close_notify, an *AlertError, or net.ErrClosed after Close. Data
	// already queued may still wait for Read.
	Ended(err error)
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// Close is called once by Conn.Close, after the close_notify alert.
	Close() error
}
