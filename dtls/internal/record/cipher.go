package record

import (
	"encoding/binary"
	"errors"
)

// Cipher protects the records of one direction and one epoch. It is not
// safe for concurrent use: each direction has its own, under its own lock.
//
// Seal and Open take the record header by value: a pointer passed through an
// interface method escapes, which would cost an allocation per record.
type Cipher interface {
	// SealedLen returns the length of the record fragment that Seal
	// produces for n bytes of plaintext.
	SealedLen(n int) int

	// MaxPlaintext returns the largest plaintext whose sealed fragment fits
	// in space bytes, and at most MaxPlaintext; 0 if none fits.
	MaxPlaintext(space int) int

	// Seal appends the protected fragment of plaintext to dst and returns
	// the extended slice. It uses h.Type, h.Version, h.Epoch, h.Seq and the
	// plaintext length for the MAC or additional data; it ignores h.Length.
	// plaintext and dst must not overlap, and plaintext should be at most
	// MaxPlaintext bytes long.
	Seal(dst []byte, h Header, plaintext []byte) []byte

	// Open authenticates and decrypts fragment in place and returns the
	// plaintext, a sub-slice of fragment. Every authentication failure (bad
	// padding, bad MAC, bad tag, short fragment) returns ErrBadRecordMAC,
	// and the CBC padding and MAC checks run in constant time with respect
	// to the padding and MAC contents. A plaintext longer than
	// MaxPlaintext is the caller's to reject (RFC 5246, Section 6.2.1).
	Open(h Header, fragment []byte) ([]byte, error)
}

// ErrBadRecordMAC is returned by Cipher.Open for a record that does not
// authenticate; RFC 6347, Section 4.1.2.7, has the receiver discard it.
var ErrBadRecordMAC = errors.New("dtls: record authentication failed")

// AppendRecord appends a whole record to dst: h with its Length set to the
// sealed length, then the fragment that c.Seal produces from plaintext.
// h.Seq must be at most MaxSeq and plaintext at most MaxPlaintext bytes
// long: the caller numbers and fragments records.
func AppendRecord(dst []byte, h Header, plaintext []byte, c Cipher) []byte {
	h.Length = uint16(c.SealedLen(len(plaintext)))
	dst = h.Append(dst)
	return c.Seal(dst, h, plaintext)
}

// additionalDataLen is the length of the record fields that the MAC or the
// AEAD tag covers besides the content.
const additionalDataLen = 13

// appendAdditionalData appends the record fields that the MAC (RFC 6347,
// Section 4.1.2.1) or the AEAD additional data (RFC 5246, Section 6.2.3.3)
// covers, for a plaintext of length n. DTLS puts the epoch and the sequence
// number where TLS has its 64-bit sequence number:
//
//	epoch(2) + sequence_number(6) + type(1) + version(2) + length(2)
func appendAdditionalData(b []byte, h Header, n int) []byte {
	b = binary.BigEndian.AppendUint16(b, h.Epoch)
	b = appendUint48(b, h.Seq)
	b = append(b, byte(h.Type))
	b = binary.BigEndian.AppendUint16(b, h.Version)
	return binary.BigEndian.AppendUint16(b, uint16(n))
}

// clampPlaintext limits a plaintext length computed from a space to the
// range [0, MaxPlaintext].
func clampPlaintext(n int) int {
	return min(max(n, 0), MaxPlaintext)
}

// nullCipher is the protection of epoch 0: none (RFC 6347, Section 4.1;
// RFC 5246, Section 6.1, TLS_NULL_WITH_NULL_NULL).
type nullCipher struct{}

// NewNull returns the Cipher of epoch 0, which leaves records unprotected
// (RFC 5246, Section 6.1).
func NewNull() Cipher { return nullCipher{} }

func (nullCipher) SealedLen(n int) int        { return n }
func (nullCipher) MaxPlaintext(space int) int { return clampPlaintext(space) }

func (nullCipher) Seal(dst []byte, _ Header, plaintext []byte) []byte {
	return append(dst, plaintext...)
}

func (nullCipher) Open(_ Header, fragment []byte) ([]byte, error) {
	return fragment, nil
}
