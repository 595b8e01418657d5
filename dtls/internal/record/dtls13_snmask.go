package record

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
)

// snSampleLen is the length of the ciphertext sample that record number
// encryption takes its mask from, and so the shortest encrypted_record a
// DTLS 1.3 record may have (RFC 9147, Section 4.2.3).
const snSampleLen = 16

// snMask makes the masks of record number encryption (RFC 9147, Section
// 4.2.3) for one epoch and direction, from the epoch's sn_key:
//
//	Mask = AES-ECB(sn_key, Ciphertext[0..15])                   AES suites
//	Mask = ChaCha20(sn_key, Ciphertext[0..3], Ciphertext[4..15])  ChaCha20
//
// For ChaCha20, the first four bytes are the block counter, read
// little-endian as the ChaCha20 state reads every word (RFC 8439, Section
// 2.3), and the next twelve the nonce; the mask is the key stream's first
// bytes. The sender XORs the mask's leading bytes into the sequence number
// as sent; the receiver XORs them again.
type snMask struct {
	block  cipher.Block           // the AES suites; nil for ChaCha20
	key    [chacha20.KeySize]byte // ChaCha20's sn_key
	mask   [snSampleLen]byte      // the latest mask, kept here so that it does not escape
	stream [snSampleLen]byte      // zeros for ChaCha20 to encrypt
}

// init sets the sn_key of suite s, which must be KeyLen bytes long.
func (m *snMask) init(s Suite13, snKey []byte) error {
	if s == TLS_CHACHA20_POLY1305_SHA256 {
		copy(m.key[:], snKey)
		return nil
	}
	block, err := aes.NewCipher(snKey)
	if err != nil {
		return err
	}
	m.block = block
	return nil
}

// make returns the mask of a record whose encrypted_record starts with
// sample, which is at least snSampleLen bytes long. The mask is valid
// until the next call.
func (m *snMask) make(sample []byte) []byte {
	sample = sample[:snSampleLen]
	if m.block != nil {
		m.block.Encrypt(m.mask[:], sample)
		return m.mask[:]
	}
	// Neither error is possible: the key and the nonce have the right
	// lengths. A counter of 2^32-1 is fine too: one block is all there is
	// to make.
	c, _ := chacha20.NewUnauthenticatedCipher(m.key[:], sample[4:])
	c.SetCounter(binary.LittleEndian.Uint32(sample))
	c.XORKeyStream(m.mask[:], m.stream[:])
	return m.mask[:]
}
