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
// a 64-bit sequence number (RFC 6347, Section 4.1.2.1). Seal and SealCID use
// that 64-bit value as the explicit nonce, which never repeats under one key:
// records with and without a connection ID share the epoch's numbers.
type gcmCipher struct {
	aead  cipher.AEAD
	nonce [gcmNonceLen]byte       // fixed IV, then the explicit nonce
	ad    [additionalDataLen]byte // scratch for the additional data
	cidAD []byte                  // a CID record's: made on first use, as few associations use one
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
	c := &gcmCipher{aead: aead}
	copy(c.nonce[:], fixedIV)
	return c, nil
}

func (c *gcmCipher) SealedLen(n int) int { return n + gcmOverhead }

func (c *gcmCipher) MaxPlaintext(space int) int {
	return clampPlaintext(space - gcmOverhead)
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
	if len(fragment) < gcmOverhead {
		return nil, ErrBadRecordMAC
	}
	return c.open(fragment, appendAdditionalData(c.ad[:0], h, len(fragment)-gcmOverhead))
}

func (c *gcmCipher) OpenCID(h CIDHeader, fragment []byte) ([]byte, ContentType, error) {
	if len(fragment) < gcmOverhead {
		return nil, 0, ErrBadRecordMAC
	}
	inner, err := c.open(fragment, appendCIDAdditionalData(cidScratch(&c.cidAD), h, len(fragment)-gcmOverhead))
	if err != nil {
		return nil, 0, err
	}
	return openInner(inner)
}

// open authenticates and decrypts fragment, which is at least gcmOverhead
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
