package record

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// The ChaCha20-Poly1305 record layout of RFC 7905, Section 2: no explicit
// nonce; the nonce is the 12-byte fixed IV from the key block XORed with
// the record's 64-bit sequence number, which DTLS makes the epoch and the
// 48-bit sequence number (RFC 7905, Section 2; RFC 6347, Section
// 4.1.2.1), padded on the left with zeros. The 16-byte tag follows the
// ciphertext.
const (
	chachaIVLen    = chacha20poly1305.NonceSize
	chachaOverhead = chacha20poly1305.Overhead
)

// chachaCipher protects records with ChaCha20-Poly1305 (RFC 7905). The
// nonce never repeats under one key: it is derived from the epoch and
// sequence number, which never repeat.
type chachaCipher struct {
	aead  cipher.AEAD
	iv    [chachaIVLen]byte
	nonce [chachaIVLen]byte
	ad    [additionalDataLen]byte
	cidAD []byte // a CID record's additional data: made on first use
}

// NewChaCha20Poly1305 returns a Cipher for the ChaCha20-Poly1305 suites
// (RFC 7905) with a 32-byte key and the 12-byte fixed IV from the key
// block. The additional data is that of the AES-GCM suites (RFC 5246,
// Section 6.2.3.3), and that of RFC 9146, Section 5.3, for records with a
// connection ID.
func NewChaCha20Poly1305(key, iv []byte) (Cipher, error) {
	if len(iv) != chachaIVLen {
		return nil, errors.New("dtls: ChaCha20-Poly1305 fixed IV must be 12 bytes")
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	c := &chachaCipher{aead: aead}
	copy(c.iv[:], iv)
	return c, nil
}

var _ CIDCipher = (*chachaCipher)(nil)

func (c *chachaCipher) SealedLen(n int) int { return n + chachaOverhead }

func (c *chachaCipher) MaxPlaintext(space int) int { return clampPlaintext(space - chachaOverhead) }

// setNonce makes the nonce of the record with this epoch and sequence
// number.
func (c *chachaCipher) setNonce(epoch uint16, seq uint64) []byte {
	c.nonce = c.iv
	n := binary.BigEndian.Uint64(c.nonce[4:]) ^ (uint64(epoch)<<48 | seq&MaxSeq)
	binary.BigEndian.PutUint64(c.nonce[4:], n)
	return c.nonce[:]
}

func (c *chachaCipher) Seal(dst []byte, h Header, plaintext []byte) []byte {
	ad := appendAdditionalData(c.ad[:0], h, len(plaintext))
	return c.aead.Seal(dst, c.setNonce(h.Epoch, h.Seq), plaintext, ad)
}

// SealCID writes the DTLSInnerPlaintext where its ciphertext goes and
// encrypts it in place.
func (c *chachaCipher) SealCID(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int) []byte {
	n := len(content) + 1 + padding
	dst = slices.Grow(dst, c.SealedLen(n))
	start := len(dst)
	dst = AppendInnerPlaintext(dst, content, typ, padding)
	ad := appendCIDAdditionalData(cidScratch(&c.cidAD), h, n)
	return c.aead.Seal(dst[:start], c.setNonce(h.Epoch, h.Seq), dst[start:], ad)
}

func (c *chachaCipher) Open(h Header, fragment []byte) ([]byte, error) {
	if len(fragment) < chachaOverhead {
		return nil, ErrBadRecordMAC
	}
	ad := appendAdditionalData(c.ad[:0], h, len(fragment)-chachaOverhead)
	return c.open(h.Epoch, h.Seq, fragment, ad)
}

func (c *chachaCipher) OpenCID(h CIDHeader, fragment []byte) ([]byte, ContentType, error) {
	if len(fragment) < chachaOverhead {
		return nil, 0, ErrBadRecordMAC
	}
	ad := appendCIDAdditionalData(cidScratch(&c.cidAD), h, len(fragment)-chachaOverhead)
	inner, err := c.open(h.Epoch, h.Seq, fragment, ad)
	if err != nil {
		return nil, 0, err
	}
	return openInner(inner)
}

func (c *chachaCipher) open(epoch uint16, seq uint64, fragment, ad []byte) ([]byte, error) {
	plaintext, err := c.aead.Open(fragment[:0], c.setNonce(epoch, seq), fragment, ad)
	if err != nil {
		return nil, ErrBadRecordMAC
	}
	return plaintext[:len(plaintext):len(plaintext)], nil
}
