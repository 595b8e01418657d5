package record

import (
	"encoding/binary"
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// RecordNumber names one DTLS 1.3 record, by its full epoch and its
// sequence number in that epoch (RFC 9147, Section 4):
//
//	struct {
//	    uint64 epoch;
//	    uint64 sequence_number;
//	} RecordNumber;
type RecordNumber struct {
	Epoch uint64
	Seq   uint64
}

// recordNumberLen is the encoded length of a RecordNumber.
const recordNumberLen = 16

// MaxACKRecordNumbers is the most record numbers one ACK holds: as many
// 16-byte RecordNumbers as fit in record_numbers<0..2^16-1> (RFC 9147,
// Section 7).
const MaxACKRecordNumbers = (1<<16 - 1) / recordNumberLen

// errBadACK is ParseACK's error for a malformed ACK, which RFC 9147,
// Section 7, has the receiver answer with a decode_error.
var errBadACK = errors.New("dtls: malformed ACK")

// ACKLen returns the length of an ACK message with n record numbers,
// 2 + 16n bytes, n being taken to be at most MaxACKRecordNumbers.
func ACKLen(n int) int {
	return 2 + recordNumberLen*min(max(n, 0), MaxACKRecordNumbers)
}

// AppendACK appends to dst the ACK message, the body of a record of type
// ACK, that lists nums (RFC 9147, Section 7):
//
//	struct {
//	    RecordNumber record_numbers<0..2^16-1>;
//	} ACK;
//
// The RFC asks for the numbers in increasing order, which is the caller's
// to keep. Only the first MaxACKRecordNumbers fit in an ACK; the others are
// left out. It does not allocate when dst has room for ACKLen(len(nums))
// more bytes.
func AppendACK(dst []byte, nums []RecordNumber) []byte {
	nums = nums[:min(len(nums), MaxACKRecordNumbers)]
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(nums)*recordNumberLen))
	for _, rn := range nums {
		dst = binary.BigEndian.AppendUint64(dst, rn.Epoch)
		dst = binary.BigEndian.AppendUint64(dst, rn.Seq)
	}
	return dst
}

// ParseACK parses an ACK message (RFC 9147, Section 7) and appends its
// record numbers to into, returning the extended slice; into is returned
// unchanged with an error when b is not exactly one ACK: a length that is
// not a multiple of 16, a length running past b, or bytes after it. It
// keeps the numbers in the order sent and does not check that order (the
// RFC asks senders for increasing order, and a receiver loses nothing by
// taking any). It holds at most MaxACKRecordNumbers numbers, and does not
// allocate when into has room for them.
func ParseACK(b []byte, into []RecordNumber) ([]RecordNumber, error) {
	s := cryptobyte.String(b)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() || len(list)%recordNumberLen != 0 {
		return into, errBadACK
	}
	out := slices.Grow(into, len(list)/recordNumberLen)
	for !list.Empty() {
		var rn RecordNumber
		if !list.ReadUint64(&rn.Epoch) || !list.ReadUint64(&rn.Seq) {
			return into, errBadACK
		}
		out = append(out, rn)
	}
	return out, nil
}
