package record

import (
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// The bits of the first byte of a DTLS 1.3 unified header (RFC 9147,
// Section 4, Figure 3):
//
//	 0 1 2 3 4 5 6 7
//	+-+-+-+-+-+-+-+-+
//	|0|0|1|C|S|L|E E|
//	+-+-+-+-+-+-+-+-+
//
// C: a connection ID follows; S: the sequence number is 16 bits long, not
// 8; L: a 16-bit length follows the sequence number; E: the low two bits of
// the epoch.
const (
	unifiedFixedMask = 0xe0
	unifiedFixed     = 0x20
	unifiedC         = 0x10
	unifiedS         = 0x08
	unifiedL         = 0x04
	unifiedEpochMask = 0x03
)

// MaxCiphertext13 is the largest encrypted_record a DTLS 1.3 record may
// carry, 2^14 + 256 bytes (RFC 8446, Section 5.2, which RFC 9147, Section
// 4, keeps): ParseUnified rejects longer ones.
const MaxCiphertext13 = MaxPlaintext + 256

// The errors of ParseUnified and Open for a malformed unified header. RFC
// 9147, Section 4.5.2, has the receiver discard such a record silently, so
// the caller has no reason to tell them apart.
var (
	errNotUnified   = errors.New("dtls: not a DTLS 1.3 unified header")
	errShortRecord  = errors.New("dtls: truncated DTLS 1.3 record")
	errUnwantedCID  = errors.New("dtls: DTLS 1.3 record carries a connection ID that was not negotiated")
	errLongRecord   = errors.New("dtls: DTLS 1.3 record longer than 2^14+256 bytes")
	errBadHeader    = errors.New("dtls: malformed DTLS 1.3 record header")
	errEpochBitsOff = errors.New("dtls: DTLS 1.3 record's epoch bits do not match the epoch")
)

// IsUnifiedHeader reports whether b0, the first byte of a record, starts a
// DTLS 1.3 unified header, 001CSLEE (RFC 9147, Section 4, Figure 3); the
// demultiplexing of Section 4.1 takes such a record for a DTLSCiphertext.
// The content types of DTLSPlaintext records (20 to 26) all have other
// leading bits.
func IsUnifiedHeader(b0 byte) bool {
	return b0&unifiedFixedMask == unifiedFixed
}

// HeaderLen13 returns the length of the unified header that AppendRecord
// writes: the flags byte, the connection ID, a 16-bit sequence number and
// a 16-bit length (RFC 9147, Section 4).
func HeaderLen13(cidLen int) int { return 1 + cidLen + 2 + 2 }

// ParseUnified takes the first DTLS 1.3 record, a DTLSCiphertext (RFC 9147,
// Section 4), off the front of a datagram: hdr is its unified header as on
// the wire (flags, connection ID, the 1- or 2-byte encrypted sequence
// number, the length if present), body its encrypted_record, and rest what
// follows. A record without the L bit runs to the end of the datagram, so
// rest is empty. cidLen is the length of the connection IDs this side
// receives; when it is 0, a record with the C bit set is malformed, and a
// record without the C bit is accepted whatever cidLen is (whether one may
// omit its CID is the caller's policy).
//
// It fails on a first byte that is not 001xxxxx, a truncated header or
// body, and a body longer than MaxCiphertext13; RFC 9147, Section 4.5.2,
// has the receiver discard the datagram's remaining records then, as it
// cannot find where they start. A body too short to open is Open's to
// reject. It does not allocate: hdr and body alias b, with their capacity
// ending at their length.
func ParseUnified(b []byte, cidLen int) (hdr, body, rest []byte, err error) {
	s := cryptobyte.String(b)
	var flags uint8
	if !s.ReadUint8(&flags) || !IsUnifiedHeader(flags) {
		return nil, nil, nil, errNotUnified
	}
	if flags&unifiedC != 0 {
		if cidLen <= 0 || cidLen > MaxCIDLen {
			return nil, nil, nil, errUnwantedCID
		}
		if !s.Skip(cidLen) {
			return nil, nil, nil, errShortRecord
		}
	}
	if !s.Skip(seqLen13(flags)) {
		return nil, nil, nil, errShortRecord
	}
	if flags&unifiedL == 0 {
		body, s = s, nil
	} else {
		var n uint16
		if !s.ReadUint16(&n) || !s.ReadBytes(&body, int(n)) {
			return nil, nil, nil, errShortRecord
		}
	}
	if len(body) > MaxCiphertext13 {
		return nil, nil, nil, errLongRecord
	}
	n := len(b) - len(s) - len(body)
	return b[:n:n], body[:len(body):len(body)], s, nil
}

// seqLen13 returns the length of the sequence number of a unified header
// with these flags: 2 bytes with the S bit, 1 without.
func seqLen13(flags byte) int {
	if flags&unifiedS != 0 {
		return 2
	}
	return 1
}

// unifiedSeq locates the sequence number in hdr, a unified header as
// ParseUnified returns it, working back from its end: the length (with the
// L bit), then the sequence number, then the connection ID (with the C
// bit), which must not be empty, after the flags byte. ok is false for any
// other shape.
func unifiedSeq(hdr []byte) (off, n int, ok bool) {
	if len(hdr) == 0 || !IsUnifiedHeader(hdr[0]) {
		return 0, 0, false
	}
	n = seqLen13(hdr[0])
	off = len(hdr) - n
	if hdr[0]&unifiedL != 0 {
		off -= 2
	}
	if hdr[0]&unifiedC != 0 {
		return off, n, off > 1
	}
	return off, n, off == 1
}

// appendUnifiedHeader appends the unified header that AppendRecord sends,
// with the sequence number not yet encrypted: C iff cid is not empty, S
// (the low 16 bits of seq), L (length, the encrypted_record's), and the
// low two bits of epoch (RFC 9147, Section 4).
func appendUnifiedHeader(b []byte, epoch, seq uint64, cid []byte, length int) []byte {
	flags := byte(unifiedFixed|unifiedS|unifiedL) | EpochBits(epoch)
	if len(cid) > 0 {
		flags |= unifiedC
	}
	b = append(b, flags)
	b = append(b, cid...)
	b = binary.BigEndian.AppendUint16(b, uint16(seq))
	return binary.BigEndian.AppendUint16(b, uint16(length))
}

// EpochBits returns the two low bits of epoch, which the unified header
// carries (RFC 9147, Section 4).
func EpochBits(epoch uint64) uint8 { return uint8(epoch & unifiedEpochMask) }

// ReconstructEpoch returns the full epoch of a record whose unified header
// carries the epoch bits bits (only the low two are used), given current,
// the newest epoch the receiver has keys for (RFC 9147, Section 4.2.2):
//
//   - While current is below 4, the epochs in use are 0 to 3 (plaintext,
//     early data, handshake, application), which the two bits name
//     exactly; the result may then be above current, as for application
//     data that arrives before the handshake's end (Section 4.2.1), and the
//     caller buffers, or drops, such a record.
//   - From epoch 4 on (after a KeyUpdate), it is the newest epoch not above
//     current with those bits: current itself or one of the three before,
//     "the most recent past epoch which has matching bits". A peer sends
//     with its next epoch only once its KeyUpdate is acknowledged (Section
//     8), so by then the receiver has made that epoch current.
//
// The caller still has to have keys for the result; an epoch it has
// discarded is a record to drop.
func ReconstructEpoch(bits uint8, current uint64) uint64 {
	b := uint64(bits & unifiedEpochMask)
	if current < 4 {
		return b
	}
	return current - (current-b)&unifiedEpochMask
}

// ReconstructSeq returns the full sequence number of a record whose header
// carries its low bits bits (8 or 16) as wire, given expected, one plus
// the highest sequence number deprotected so far in the epoch (0 for a new
// epoch): the number with those low bits numerically closest to expected
// (RFC 9147, Section 4.2.2), never above MaxSeq. A tie, a number exactly
// half the field's range below or above expected, goes to the one above.
// expected is taken to be at most MaxSeq, and bits at most 48.
func ReconstructSeq(wire uint64, bits uint, expected uint64) uint64 {
	expected, bits = min(expected, MaxSeq), min(bits, 48)
	win := uint64(1) << bits
	half, mask := win/2, win-1
	cand := expected&^mask | wire&mask
	switch {
	case cand+half <= expected && cand+win <= MaxSeq:
		return cand + win
	case cand > expected+half && cand >= win:
		return cand - win
	}
	return cand
}
