package record

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// The AES-GCM record layout of RFC 5288, Section 3: a 4-byte implicit salt
// from the key block, an 8-byte explicit nonce sent in front of the
// ciphertext, and a 16-byte tag after it.
const (
	gcmFixedIVLen  = 4
	gcmExplicitLen = 8
	gcmNonceLen    = gcmFixedIVLen + gcmExplicitLen
	gcmTagLen      = 16
	gcmOverhead    = gcmExplicitLen + gcmTagLen
)

// gcmCipher protects records with AES-GCM (RFC 5288, Section 3; RFC 5246,
// Section 6.2.3.3), DTLS putting its epoch and sequence number where TLS has
// a 64-bit sequence number (RFC 6347, Section 4.1.2.1). Seal uses that same
// 64-bit value as the explicit nonce, which never repeats under one key.
type gcmCipher struct {
	aead  cipher.AEAD
	nonce [gcmNonceLen]byte       // fixed IV, then the explicit nonce
	ad    [additionalDataLen]byte // scratch for the additional data
}

// NewAESGCM returns a Cipher for the AES-GCM cipher suites (RFC 5288,
// Section 3) with a 16- or 32-byte key and the 4-byte fixed IV (the salt)
// from the key block. The nonce is fixedIV followed by an 8-byte explicit
// nonce, which Seal sets to the record's epoch and sequence number and sends
// in front of the ciphertext, and which Open takes from the record, since
// RFC 5288 leaves its choice to the sender. The additional data is
// epoch(2) || seq(6) || type || version || plaintext length.
func NewAESGCM(key, fixedIV []byte) (Cipher, error) {
	if len(key) != 16 && len(key) != 32 {
		return nil, errors.New("dtls: AES-GCM key must be 16 or 32 bytes")
	}
	if len(fixedIV) != gcmFixedIVLen {
		return nil, errors.New("dtls: AES-GCM fixed IV must be 4 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	c := &gcmCipher{aead: aead}
	copy(c.nonce[:], fixedIV)
	return c, nil
}

func (c *gcmCipher) SealedLen(n int) int { return n + gcmOverhead }

func (c *gcmCipher) MaxPlaintext(space int) int {
	return clampPlaintext(space - gcmOverhead)
}

func (c *gcmCipher) Seal(dst []byte, h Header, plaintext []byte) []byte {
	explicit := c.nonce[gcmFixedIVLen:]
	binary.BigEndian.PutUint64(explicit, uint64(h.Epoch)<<48|h.Seq&MaxSeq)
	dst = slices.Grow(dst, c.SealedLen(len(plaintext)))
	dst = append(dst, explicit...)
	ad := appendAdditionalData(c.ad[:0], h, len(plaintext))
	return c.aead.Seal(dst, c.nonce[:], plaintext, ad)
}

func (c *gcmCipher) Open(h Header, fragment []byte) ([]byte, error) {
	s := cryptobyte.String(fragment)
	var explicit []byte
	if len(fragment) < gcmOverhead || !s.ReadBytes(&explicit, gcmExplicitLen) {
		return nil, ErrBadRecordMAC
	}
	copy(c.nonce[gcmFixedIVLen:], explicit)
	ad := appendAdditionalData(c.ad[:0], h, len(s)-gcmTagLen)
	plaintext, err := c.aead.Open(s[:0], c.nonce[:], s, ad)
	if err != nil {
		return nil, ErrBadRecordMAC
	}
	return plaintext[:len(plaintext):len(plaintext)], nil
}
