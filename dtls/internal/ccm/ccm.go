package ccm

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"math"
	"sync/atomic"
)

// blockSize is the block size CCM is defined for (RFC 3610, Section 1).
const blockSize = 16

// errOpen is the one error Open returns, whatever went wrong, so that a
// failed record tells an attacker nothing about why it failed.
var errOpen = errors.New("ccm: message authentication failed")

// ccmAEAD is CCM over one block cipher with fixed M (tagSize) and
// L = 15 - nonceSize (RFC 3610, Section 2).
type ccmAEAD struct {
	block     cipher.Block
	tagSize   int                   // M, the size of the authentication field
	nonceSize int                   // 15 - L
	spare     atomic.Pointer[state] // scratch for the next call; see getState
}

// New returns CCM over block, which must have a 16-byte block size, with a
// tagSize-byte authentication field (M: 4, 6, 8, 10, 12, 14 or 16) and
// nonceSize-byte nonces (7 to 13, making the length field L = 15 - nonceSize
// bytes; RFC 3610, Section 2). The DTLS 1.2 AES-CCM suites use nonceSize 12
// with tagSize 16, or 8 for the _8 suites (RFC 6655).
//
// The AEAD's Seal panics, as crypto/cipher's GCM does, when the nonce is not
// nonceSize bytes long, when the plaintext is too long for its length to fit
// in L bytes (longer than 2^(8L)-1 bytes), or when the output overlaps the
// plaintext other than exactly. Open panics on a wrong nonce length or an
// inexact overlap too, but returns an error for a ciphertext that is too short
// or too long.
func New(block cipher.Block, tagSize, nonceSize int) (cipher.AEAD, error) {
	if block.BlockSize() != blockSize {
		return nil, errors.New("ccm: CCM requires a block cipher with a 16-byte block size")
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, errors.New("ccm: tag size must be 4, 6, 8, 10, 12, 14 or 16 bytes")
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, errors.New("ccm: nonce size must be 7 to 13 bytes")
	}
	c := &ccmAEAD{block: block, tagSize: tagSize, nonceSize: nonceSize}
	c.spare.Store(new(state))
	return c, nil
}

// NonceSize returns the size of the nonce, 15 - L bytes.
func (c *ccmAEAD) NonceSize() int { return c.nonceSize }

// Overhead returns the size of the authentication field M, which Seal appends
// to the ciphertext (RFC 3610, Section 2.4).
func (c *ccmAEAD) Overhead() int { return c.tagSize }

// maxLen returns the largest message length l(m) that fits in the L-byte
// length field of B_0 (RFC 3610, Section 2.1): 0 <= l(m) < 2^(8L).
func (c *ccmAEAD) maxLen() uint64 {
	l := blockSize - 1 - c.nonceSize
	if l >= 8 {
		return math.MaxUint64
	}
	return 1<<(8*l) - 1
}

// Seal encrypts and authenticates plaintext, authenticates additionalData,
// and appends the ciphertext and the M-byte tag U to dst (RFC 3610, Sections
// 2.2 to 2.4). To seal in place, pass plaintext[:0] as dst.
func (c *ccmAEAD) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != c.nonceSize {
		panic("ccm: incorrect nonce length given to CCM")
	}
	if uint64(len(plaintext)) > c.maxLen() {
		panic("ccm: message too large for CCM")
	}
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	if inexactOverlap(out, plaintext) {
		panic("ccm: invalid buffer overlap of output and input")
	}
	s := c.getState()
	c.start(s, nonce, additionalData, len(plaintext))
	c.seal(s, out, plaintext)
	c.tag(s, out[len(plaintext):])
	c.putState(s)
	return ret
}

// Open authenticates ciphertext, the encrypted message followed by its M-byte
// tag, together with additionalData, and if they are authentic appends the
// message to dst (RFC 3610, Section 2.5). On any failure it returns errOpen
// and leaves the bytes it would have appended zeroed, so that no unauthentic
// plaintext escapes. To open in place, pass ciphertext[:0] as dst.
func (c *ccmAEAD) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize {
		panic("ccm: incorrect nonce length given to CCM")
	}
	if len(ciphertext) < c.tagSize || uint64(len(ciphertext)-c.tagSize) > c.maxLen() {
		return nil, errOpen
	}
	n := len(ciphertext) - c.tagSize
	var got [blockSize]byte
	copy(got[:], ciphertext[n:])
	ret, out := sliceForAppend(dst, n)
	if inexactOverlap(out, ciphertext) {
		panic("ccm: invalid buffer overlap of output and input")
	}
	s := c.getState()
	c.start(s, nonce, additionalData, n)
	c.open(s, out, ciphertext[:n])
	var want [blockSize]byte
	c.tag(s, want[:c.tagSize])
	c.putState(s)
	if subtle.ConstantTimeCompare(want[:c.tagSize], got[:c.tagSize]) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}
