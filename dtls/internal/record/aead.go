package record

import (
	"crypto/cipher"
	"encoding/binary"
	"slices"
)

// aeadNonceLen is the nonce length of every AEAD record layout here: AES-GCM
// and AES-CCM (RFC 5288, Section 3; RFC 6655, Section 3) and
// ChaCha20-Poly1305 (RFC 7905, Section 2).
const aeadNonceLen = 12

// aeadCipher protects records with an AEAD whose 12-byte nonce is the
// key block's IV XORed with the record's 64-bit sequence number, which DTLS
// makes the epoch and the 48-bit sequence number (RFC 6347, Section
// 4.1.2.1), padded on the left with zeros. For AES-GCM and AES-CCM the IV
// is the 4-byte salt followed by zeros, so the nonce is the salt and the
// 8-byte explicit nonce, which is sent in front of the ciphertext and which
// Open takes from the record (RFC 5288 leaves its choice to the sender);
// ChaCha20-Poly1305 has a 12-byte IV and sends nothing (RFC 7905, Section
// 2). The nonce never repeats under one key: records with and without a
// connection ID share the epoch's numbers.
type aeadCipher struct {
	aead     cipher.AEAD
	explicit int // the length of the explicit nonce: 8 (RFC 5288) or 0 (RFC 7905)
	overhead int // the explicit nonce and the tag
	iv       [aeadNonceLen]byte
	nonce    [aeadNonceLen]byte
	ad       [additionalDataLen]byte // scratch for the additional data
	cidAD    []byte                  // a CID record's: made on first use, as few associations use one
}

// newAEADCipher returns the Cipher of aead with the key block's iv, which
// ends with explicit zero bytes that each record's explicit nonce fills.
func newAEADCipher(aead cipher.AEAD, iv []byte, explicit int) *aeadCipher {
	c := &aeadCipher{aead: aead, explicit: explicit, overhead: explicit + aead.Overhead()}
	copy(c.iv[:], iv)
	return c
}

func (c *aeadCipher) SealedLen(n int) int { return n + c.overhead }

func (c *aeadCipher) MaxPlaintext(space int) int {
	return clampPlaintext(space - c.overhead)
}

// setNonce makes the nonce of the record with this epoch and sequence
// number and returns it.
func (c *aeadCipher) setNonce(epoch uint16, seq uint64) []byte {
	c.nonce = c.iv
	n := binary.BigEndian.Uint64(c.nonce[4:]) ^ (uint64(epoch)<<48 | seq&MaxSeq)
	binary.BigEndian.PutUint64(c.nonce[4:], n)
	return c.nonce[:]
}

// begin grows dst for a sealed record of n bytes of plaintext, appends the
// explicit nonce, if any, and returns the nonce.
func (c *aeadCipher) begin(dst []byte, epoch uint16, seq uint64, n int) ([]byte, []byte) {
	nonce := c.setNonce(epoch, seq)
	dst = slices.Grow(dst, c.SealedLen(n))
	return append(dst, nonce[aeadNonceLen-c.explicit:]...), nonce
}

func (c *aeadCipher) Seal(dst []byte, h Header, plaintext []byte) []byte {
	dst, nonce := c.begin(dst, h.Epoch, h.Seq, len(plaintext))
	ad := appendAdditionalData(c.ad[:0], h, len(plaintext))
	return c.aead.Seal(dst, nonce, plaintext, ad)
}

// SealCID writes the DTLSInnerPlaintext where its ciphertext goes and
// encrypts it in place, so that the content is copied once.
func (c *aeadCipher) SealCID(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int) []byte {
	n := len(content) + 1 + padding
	dst, nonce := c.begin(dst, h.Epoch, h.Seq, n)
	start := len(dst)
	dst = AppendInnerPlaintext(dst, content, typ, padding)
	ad := appendCIDAdditionalData(cidScratch(&c.cidAD), h, n)
	return c.aead.Seal(dst[:start], nonce, dst[start:], ad)
}

func (c *aeadCipher) Open(h Header, fragment []byte) ([]byte, error) {
	if len(fragment) < c.overhead {
		return nil, ErrBadRecordMAC
	}
	return c.open(h.Epoch, h.Seq, fragment, appendAdditionalData(c.ad[:0], h, len(fragment)-c.overhead))
}

func (c *aeadCipher) OpenCID(h CIDHeader, fragment []byte) ([]byte, ContentType, error) {
	if len(fragment) < c.overhead {
		return nil, 0, ErrBadRecordMAC
	}
	inner, err := c.open(h.Epoch, h.Seq, fragment, appendCIDAdditionalData(cidScratch(&c.cidAD), h, len(fragment)-c.overhead))
	if err != nil {
		return nil, 0, err
	}
	return openInner(inner)
}

// open authenticates and decrypts fragment, which is at least c.overhead
// bytes long, in place, with the additional data ad. The nonce is that of
// epoch and seq, or, with an explicit nonce, the one in front of fragment.
func (c *aeadCipher) open(epoch uint16, seq uint64, fragment, ad []byte) ([]byte, error) {
	nonce := c.setNonce(epoch, seq)
	copy(nonce[aeadNonceLen-c.explicit:], fragment[:c.explicit])
	ciphertext := fragment[c.explicit:]
	plaintext, err := c.aead.Open(ciphertext[:0], nonce, ciphertext, ad)
	if err != nil {
		return nil, ErrBadRecordMAC
	}
	return plaintext[:len(plaintext):len(plaintext)], nil
}
