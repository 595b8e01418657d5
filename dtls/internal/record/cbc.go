package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// The AES-CBC record layout of RFC 4346, Section 6.2.3.2, which DTLS 1.0
// and 1.2 both use: an explicit IV, then the encryption of the content, its
// HMAC-SHA1, and 1 to 256 bytes of padding whose every byte, the final
// padding_length byte included, holds the padding length.
const (
	cbcMACLen    = sha1.Size
	cbcMaxPad    = 256 // padding bytes, padding_length included
	cbcMinBlocks = (cbcMACLen + 1 + aes.BlockSize - 1) / aes.BlockSize
)

// cbcMode is a CBC encrypter or decrypter whose IV can be changed, as the
// standard library's are, so each record does not allocate a new one.
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

// cbcCipher protects records with AES-CBC and HMAC-SHA1 (RFC 6347, Section
// 4.1.2.1; RFC 4347, Section 4.1.2.1; RFC 4346, Section 6.2.3.2).
type cbcCipher struct {
	block  cipher.Block
	enc    cbcMode
	dec    cbcMode
	mac    hash.Hash
	rand   io.Reader
	iv     [aes.BlockSize]byte
	ad     [additionalDataLen]byte
	cidAD  []byte          // a CID record's additional data: made on first use, as few associations use one
	sum    [cbcMACLen]byte // the MAC computed here
	remote [cbcMACLen]byte // the MAC found in a record being opened
}

// NewCBCSHA1 returns a Cipher for the AES-CBC cipher suites with HMAC-SHA1,
// such as TLS_RSA_WITH_AES_128_CBC_SHA, with a 16- or 32-byte encKey and a
// 20-byte macKey. Each record gets an explicit IV read from rand
// (crypto/rand.Reader if nil), as RFC 4346, Section 6.2.3.2, describes for
// DTLS 1.0 and 1.2 alike; the MAC covers
// epoch || seq || type || version || length || content (RFC 6347, Section
// 4.1.2.1; RFC 4347, Section 4.1.2.1), and is that of RFC 9146, Section 5.1,
// for records with a connection ID (see CIDCipher).
//
// Open checks the padding and the MAC without branching on their contents,
// copies the MAC out of its padding-dependent place in constant time, and
// hashes as many bytes whatever the padding length. One timing difference
// remains, as with any HMAC built on a standard SHA-1: its finalization may
// take one compression more or less depending on the padding length (the
// "Lucky Thirteen" attack).
func NewCBCSHA1(encKey, macKey []byte, rand io.Reader) (Cipher, error) {
	if len(encKey) != 16 && len(encKey) != 32 {
		return nil, errors.New("dtls: AES-CBC key must be 16 or 32 bytes")
	}
	if len(macKey) != cbcMACLen {
		return nil, errors.New("dtls: HMAC-SHA1 key must be 20 bytes")
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	zeroIV := make([]byte, aes.BlockSize) // Seal and Open set each record's IV
	enc, ok1 := cipher.NewCBCEncrypter(block, zeroIV).(cbcMode)
	dec, ok2 := cipher.NewCBCDecrypter(block, zeroIV).(cbcMode)
	if !ok1 || !ok2 {
		return nil, errors.New("dtls: AES-CBC implementation cannot set its IV")
	}
	if rand == nil {
		rand = crand.Reader
	}
	return &cbcCipher{
		block: block,
		enc:   enc,
		dec:   dec,
		mac:   hmac.New(sha1.New, macKey),
		rand:  rand,
	}, nil
}

func (c *cbcCipher) SealedLen(n int) int {
	return aes.BlockSize + (n+cbcMACLen+1+aes.BlockSize-1)/aes.BlockSize*aes.BlockSize
}

func (c *cbcCipher) MaxPlaintext(space int) int {
	blocks := (space - aes.BlockSize) / aes.BlockSize
	return clampPlaintext(blocks*aes.BlockSize - cbcMACLen - 1)
}

func (c *cbcCipher) Seal(dst []byte, h Header, plaintext []byte) []byte {
	dst, start := c.begin(dst, h.Epoch, h.Seq, len(plaintext))
	dst = append(dst, plaintext...)
	return c.finish(dst, start, appendAdditionalData(c.ad[:0], h, len(plaintext)))
}

// SealCID MACs and encrypts a DTLSInnerPlaintext as Seal does a plaintext,
// with the MAC input of RFC 9146, Section 5.1: the additional data, then
// the DTLSInnerPlaintext, whose length the additional data ends with.
func (c *cbcCipher) SealCID(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int) []byte {
	n := len(content) + 1 + padding
	dst, start := c.begin(dst, h.Epoch, h.Seq, n)
	dst = AppendInnerPlaintext(dst, content, typ, padding)
	return c.finish(dst, start, appendCIDAdditionalData(cidScratch(&c.cidAD), h, n))
}

// begin grows dst for the record of a plaintext of n bytes, appends a
// fresh IV for the record of that epoch and sequence number, and returns
// where the plaintext goes.
func (c *cbcCipher) begin(dst []byte, epoch uint16, seq uint64, n int) ([]byte, int) {
	c.newIV(epoch, seq)
	dst = slices.Grow(dst, c.SealedLen(n))
	dst = append(dst, c.iv[:]...)
	return dst, len(dst)
}

// finish appends the MAC of ad and the plaintext at dst[start:], then the
// padding, and encrypts them in place under the IV that begin appended.
func (c *cbcCipher) finish(dst []byte, start int, ad []byte) []byte {
	c.mac.Reset()
	c.mac.Write(ad)
	c.mac.Write(dst[start:])
	mac := c.mac.Sum(c.sum[:0])
	n := len(dst) - start
	dst = append(dst, mac...)
	// The least padding that fills the last block; every padding byte,
	// padding_length included, holds the count of the others.
	padLen := byte(aes.BlockSize - 1 - (n+len(mac))%aes.BlockSize)
	for range int(padLen) + 1 {
		dst = append(dst, padLen)
	}
	body := dst[start:]
	c.enc.SetIV(c.iv[:])
	c.enc.CryptBlocks(body, body)
	return dst
}

// newIV sets c.iv to a fresh random IV for the record of epoch and seq.
// Seal cannot return an error, so if c.rand fails, newIV falls back to the
// unpredictable IV of NIST SP 800-38A, Appendix C: the encryption, under
// the record key, of a nonce that never repeats under that key, here the
// epoch and sequence number.
func (c *cbcCipher) newIV(epoch uint16, seq uint64) {
	if _, err := io.ReadFull(c.rand, c.iv[:]); err == nil {
		return
	}
	clear(c.iv[:])
	binary.BigEndian.PutUint64(c.iv[:], uint64(epoch)<<48|seq&MaxSeq)
	c.block.Encrypt(c.iv[:], c.iv[:])
}

func (c *cbcCipher) Open(h Header, fragment []byte) ([]byte, error) {
	body, n, padGood, ok := c.decrypt(fragment)
	if !ok {
		return nil, ErrBadRecordMAC
	}
	return c.verify(body, n, padGood, appendAdditionalData(c.ad[:0], h, n))
}

// OpenCID opens the DTLSInnerPlaintext as Open does a plaintext, with the
// MAC input of RFC 9146, Section 5.1. The inner plaintext's length, which
// the MAC input holds, depends on the padding; appendCIDAdditionalData
// writes it without branching on it.
func (c *cbcCipher) OpenCID(h CIDHeader, fragment []byte) ([]byte, ContentType, error) {
	body, n, padGood, ok := c.decrypt(fragment)
	if !ok {
		return nil, 0, ErrBadRecordMAC
	}
	inner, err := c.verify(body, n, padGood, appendCIDAdditionalData(cidScratch(&c.cidAD), h, n))
	if err != nil {
		return nil, 0, err
	}
	return openInner(inner)
}

// decrypt decrypts fragment in place after its IV and returns the body
// (content, MAC, padding), the length n of the content, and padGood = 1 if
// the padding is well formed; with bad padding, n is as if there were none.
// ok is false if fragment's length cannot be that of a record.
func (c *cbcCipher) decrypt(fragment []byte) (body []byte, n, padGood int, ok bool) {
	s := cryptobyte.String(fragment)
	var iv []byte
	if !s.ReadBytes(&iv, aes.BlockSize) ||
		len(s) < cbcMinBlocks*aes.BlockSize || len(s)%aes.BlockSize != 0 {
		return nil, 0, 0, false
	}
	body = []byte(s)
	c.dec.SetIV(iv)
	c.dec.CryptBlocks(body, body)

	// From here on, the lengths depend on the padding, which is secret:
	// cryptobyte's early returns would leak it, so the checks below and in
	// verify use constant-time arithmetic instead.
	padLen, good := checkPadding(body)
	n = len(body) - cbcMACLen - padLen
	copyMAC(&c.remote, body, n)
	return body, n, good, true
}

// verify checks the MAC found by decrypt against that of ad and the content
// body[:n], and returns the content.
func (c *cbcCipher) verify(body []byte, n, padGood int, ad []byte) ([]byte, error) {
	// RFC 5246, Section 6.2.3.2, asks that a record with bad padding take
	// as long to reject as one with a bad MAC. The MAC always runs, and the
	// padding is fed to the hash after the digest is taken, so that about as
	// many hash blocks are processed whatever the padding length; what
	// remains is the one block that SHA-1 finalization may add.
	c.mac.Reset()
	c.mac.Write(ad)
	c.mac.Write(body[:n])
	local := c.mac.Sum(c.sum[:0])
	c.mac.Write(body[n+cbcMACLen:]) // the padding

	if subtle.ConstantTimeCompare(local, c.remote[:])&padGood != 1 {
		return nil, ErrBadRecordMAC
	}
	return body[:n:n], nil
}

// checkPadding returns the number of padding bytes at the end of the
// decrypted body, the padding_length byte included, and good = 1 if the
// padding is well formed and leaves room for the MAC. Its running time
// depends only on len(body), which must be at least cbcMACLen+1. For bad
// padding it returns 0 and good = 0, and the caller goes on as if there were
// no padding.
func checkPadding(body []byte) (padLen, good int) {
	n := int(body[len(body)-1]) + 1
	good = subtle.ConstantTimeLessOrEq(n+cbcMACLen, len(body))
	for i := 1; i <= min(cbcMaxPad, len(body)); i++ {
		inPadding := subtle.ConstantTimeLessOrEq(i, n)
		matches := subtle.ConstantTimeByteEq(body[len(body)-i], byte(n-1))
		good &= matches | (inPadding ^ 1)
	}
	return subtle.ConstantTimeSelect(good, n, 0), good
}

// copyMAC copies the cbcMACLen bytes of body at macStart into out, reading
// the same bytes in the same order whatever macStart is, since macStart
// depends on the padding length. macStart must lie within the last
// cbcMACLen+cbcMaxPad bytes of body and leave room for the MAC.
//
// It collects the MAC into a buffer rotated by macStart's position modulo
// cbcMACLen, then rotates it back with a constant-time selection.
func copyMAC(out *[cbcMACLen]byte, body []byte, macStart int) {
	var rotated [cbcMACLen]byte
	inMAC, rotateBy := 0, 0
	scanStart := max(0, len(body)-cbcMACLen-cbcMaxPad)
	j := 0 // (i - scanStart) % cbcMACLen
	for i := scanStart; i < len(body); i++ {
		started := subtle.ConstantTimeEq(int32(i), int32(macStart))
		ended := subtle.ConstantTimeEq(int32(i), int32(macStart+cbcMACLen))
		inMAC = (inMAC | started) &^ ended
		rotateBy |= j & -started
		rotated[j] |= body[i] & byte(-inMAC)
		if j++; j == cbcMACLen {
			j = 0
		}
	}
	for k := range out {
		from := k + rotateBy
		from -= cbcMACLen & -subtle.ConstantTimeLessOrEq(cbcMACLen, from)
		var b byte
		for r, v := range rotated {
			b |= v & byte(-subtle.ConstantTimeEq(int32(r), int32(from)))
		}
		out[k] = b
	}
}
