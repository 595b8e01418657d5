package record

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls/internal/ccm"
)

// The AES-GCM record layout of RFC 5288, Section 3, which AES-CCM shares
// (RFC 6655, Section 3): a 4-byte implicit salt from the key block, an
// 8-byte explicit nonce sent in front of the ciphertext, and the tag (16
// bytes, 8 for CCM_8) after it.
const (
	gcmFixedIVLen  = 4
	gcmExplicitLen = 8
	gcmNonceLen    = gcmFixedIVLen + gcmExplicitLen
	gcmTagLen      = 16
	gcmOverhead    = gcmExplicitLen + gcmTagLen
)

// gcmCipher protects records with AES-GCM (RFC 5288, Section 3; RFC 5246,
// Section 6.2.3.3), DTLS putting its epoch and sequence number where TLS has
// a 64-bit sequence number (RFC 6347, Section 4.1.2.1). Seal and SealCID use
// that 64-bit value as the explicit nonce, which never repeats under one key:
// records with and without a connection ID share the epoch's numbers.
type gcmCipher struct {
	aead     cipher.AEAD
	overhead int                     // the explicit nonce and the tag
	nonce    [gcmNonceLen]byte       // fixed IV, then the explicit nonce
	ad       [additionalDataLen]byte // scratch for the additional data
	cidAD    []byte                  // a CID record's: made on first use, as few associations use one
}

// NewAESGCM returns a Cipher for the AES-GCM cipher suites (RFC 5288,
// Section 3) with a 16- or 32-byte key and the 4-byte fixed IV (the salt)
// from the key block. The nonce is fixedIV followed by an 8-byte explicit
// nonce, which Seal sets to the record's epoch and sequence number and sends
// in front of the ciphertext, and which Open takes from the record, since
// RFC 5288 leaves its choice to the sender. The additional data is
// epoch(2) || seq(6) || type || version || plaintext length, and that of
// RFC 9146, Section 5.3, for records with a connection ID (see CIDCipher).
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
	return newExplicitNonceAEAD(aead, fixedIV), nil
}

// NewAESCCM returns a Cipher for the AES-CCM cipher suites (RFC 6655 for
// PSK, RFC 7251 for ECDHE_ECDSA) with a 16- or 32-byte key, the 4-byte
// fixed IV (the salt) from the key block, and a tag of tagLen bytes: 16,
// or 8 for the _8 suites. The record is laid out as AES-GCM's is (RFC
// 6655 §3): the explicit nonce, then the ciphertext and the tag, with the
// same additional data.
func NewAESCCM(key, fixedIV []byte, tagLen int) (Cipher, error) {
	if len(key) != 16 && len(key) != 32 {
		return nil, errors.New("dtls: AES-CCM key must be 16 or 32 bytes")
	}
	if len(fixedIV) != gcmFixedIVLen {
		return nil, errors.New("dtls: AES-CCM fixed IV must be 4 bytes")
	}
	if tagLen != 16 && tagLen != 8 {
		return nil, errors.New("dtls: AES-CCM tag must be 16 or 8 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := ccm.New(block, tagLen, gcmNonceLen)
	if err != nil {
		return nil, err
	}
	return newExplicitNonceAEAD(aead, fixedIV), nil
}

// newExplicitNonceAEAD returns the Cipher of an AEAD with a 12-byte nonce
// made of the 4-byte fixedIV and an 8-byte explicit nonce sent with each
// record (RFC 5288 §3, RFC 6655 §3).
func newExplicitNonceAEAD(aead cipher.AEAD, fixedIV []byte) *gcmCipher {
	c := &gcmCipher{aead: aead, overhead: gcmExplicitLen + aead.Overhead()}
	copy(c.nonce[:], fixedIV)
	return c
}

func (c *gcmCipher) SealedLen(n int) int { return n + c.overhead }

func (c *gcmCipher) MaxPlaintext(space int) int {
	return clampPlaintext(space - c.overhead)
}

func (c *gcmCipher) Seal(dst []byte, h Header, plaintext []byte) []byte {
	explicit := c.setExplicitNonce(h.Epoch, h.Seq)
	dst = slices.Grow(dst, c.SealedLen(len(plaintext)))
	dst = append(dst, explicit...)
	ad := appendAdditionalData(c.ad[:0], h, len(plaintext))
	return c.aead.Seal(dst, c.nonce[:], plaintext, ad)
}

// SealCID writes the DTLSInnerPlaintext where its ciphertext goes and
// encrypts it in place, so that the content is copied once.
func (c *gcmCipher) SealCID(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int) []byte {
	n := len(content) + 1 + padding
	explicit := c.setExplicitNonce(h.Epoch, h.Seq)
	dst = slices.Grow(dst, c.SealedLen(n))
	dst = append(dst, explicit...)
	start := len(dst)
	dst = AppendInnerPlaintext(dst, content, typ, padding)
	ad := appendCIDAdditionalData(cidScratch(&c.cidAD), h, n)
	return c.aead.Seal(dst[:start], c.nonce[:], dst[start:], ad)
}

// setExplicitNonce sets the explicit part of the nonce to the record's
// epoch and sequence number and returns it.
func (c *gcmCipher) setExplicitNonce(epoch uint16, seq uint64) []byte {
	explicit := c.nonce[gcmFixedIVLen:]
	binary.BigEndian.PutUint64(explicit, uint64(epoch)<<48|seq&MaxSeq)
	return explicit
}

func (c *gcmCipher) Open(h Header, fragment []byte) ([]byte, error) {
	if len(fragment) < c.overhead {
		return nil, ErrBadRecordMAC
	}
	return c.open(fragment, appendAdditionalData(c.ad[:0], h, len(fragment)-c.overhead))
}

func (c *gcmCipher) OpenCID(h CIDHeader, fragment []byte) ([]byte, ContentType, error) {
	if len(fragment) < c.overhead {
		return nil, 0, ErrBadRecordMAC
	}
	inner, err := c.open(fragment, appendCIDAdditionalData(cidScratch(&c.cidAD), h, len(fragment)-c.overhead))
	if err != nil {
		return nil, 0, err
	}
	return openInner(inner)
}

// open authenticates and decrypts fragment, which is at least c.overhead
// bytes long, in place, with the additional data ad.
func (c *gcmCipher) open(fragment, ad []byte) ([]byte, error) {
	s := cryptobyte.String(fragment)
	var explicit []byte
	if !s.ReadBytes(&explicit, gcmExplicitLen) {
		return nil, ErrBadRecordMAC
	}
	copy(c.nonce[gcmFixedIVLen:], explicit)
	plaintext, err := c.aead.Open(s[:0], c.nonce[:], s, ad)
	if err != nil {
		return nil, ErrBadRecordMAC
	}
	return plaintext[:len(plaintext):len(plaintext)], nil
}
