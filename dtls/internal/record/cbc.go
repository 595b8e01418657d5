package record

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// The AES-CBC record layout of RFC 4346, Section 6.2.3.2, which DTLS 1.0
// and 1.2 both use: an explicit IV, then the encryption of the content, its
// MAC, and 1 to 256 bytes of padding whose every byte, the final
// padding_length byte included, holds the padding length. With
// Encrypt-then-MAC (RFC 7366, Section 3), the MAC follows the encryption
// instead of being part of it.
const (
	cbcMaxMACLen = sha256.Size // the longest MAC, HMAC-SHA256's
	cbcMaxPad    = 256         // padding bytes, padding_length included
)

// cbcMACs are the MAC algorithms of the AES-CBC cipher suites, by hash:
// HMAC-SHA1 (RFC 5246, Appendix C) and HMAC-SHA256 (RFC 5246, Appendix
// A.5; RFC 5289, Section 3.1; RFC 5487; RFC 5489). Each MAC key is as long
// as the MAC (RFC 5246, Section 6.3).
var cbcMACs = map[crypto.Hash]struct {
	name string
	new  func() hash.Hash
}{
	crypto.SHA1:   {"HMAC-SHA1", sha1.New},
	crypto.SHA256: {"HMAC-SHA256", sha256.New},
}

// cbcMode is a CBC encrypter or decrypter whose IV can be changed, as the
// standard library's are, so each record does not allocate a new one.
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

// cbcCipher protects records with AES-CBC and an HMAC (RFC 6347, Section
// 4.1.2.1; RFC 4347, Section 4.1.2.1; RFC 4346, Section 6.2.3.2), MAC then
// encrypt, or encrypt then MAC when etm is set (RFC 7366).
type cbcCipher struct {
	block  cipher.Block
	enc    cbcMode
	dec    cbcMode
	mac    hash.Hash
	macLen int  // 20 or 32 bytes
	etm    bool // Encrypt-then-MAC (RFC 7366)
	rand   io.Reader
	iv     [aes.BlockSize]byte
	ad     [additionalDataLen]byte
	cidAD  []byte             // a CID record's MAC input: made on first use, as few associations use one
	sum    [cbcMaxMACLen]byte // the MAC computed here
	remote [cbcMaxMACLen]byte // the MAC found in a record being opened (MAC-then-encrypt)
}

// NewCBCSHA1 returns a Cipher for the AES-CBC cipher suites with HMAC-SHA1,
// such as TLS_RSA_WITH_AES_128_CBC_SHA, MAC then encrypt, with a 16- or
// 32-byte encKey and a 20-byte macKey. It is NewCBC with crypto.SHA1 and
// without Encrypt-then-MAC.
func NewCBCSHA1(encKey, macKey []byte, rand io.Reader) (Cipher, error) {
	return NewCBC(encKey, macKey, crypto.SHA1, false, rand)
}

// NewCBCSHA256 returns a Cipher for the AES-CBC cipher suites with
// HMAC-SHA256, such as TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (RFC 5289,
// Section 3.1) and TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256 (RFC 5489), MAC
// then encrypt, with a 16- or 32-byte encKey and a 32-byte macKey. It is
// NewCBC with crypto.SHA256 and without Encrypt-then-MAC.
func NewCBCSHA256(encKey, macKey []byte, rand io.Reader) (Cipher, error) {
	return NewCBC(encKey, macKey, crypto.SHA256, false, rand)
}

// NewCBC returns a Cipher for the AES-CBC cipher suites whose MAC is the
// HMAC of mac, crypto.SHA1 or crypto.SHA256, with a 16- or 32-byte encKey
// and a macKey as long as the MAC (20 or 32 bytes). The Cipher is also a
// CIDCipher. Each record gets an explicit IV read from rand
// (crypto/rand.Reader if nil), as RFC 4346, Section 6.2.3.2, describes for
// DTLS 1.0 and 1.2 alike.
//
// Without encryptThenMAC, the MAC covers
// epoch || seq || type || version || length || content (RFC 6347, Section
// 4.1.2.1; RFC 4347, Section 4.1.2.1) and is encrypted with the content;
// for records with a connection ID it is that of RFC 9146, Section 5.1.
// Open checks the padding and the MAC without branching on their contents,
// copies the MAC out of its padding-dependent place in constant time, and
// hashes as many bytes whatever the padding length. One timing difference
// remains, as with any HMAC built on a standard SHA-1 or SHA-256: its
// finalization may take one compression more or less depending on the
// padding length (the "Lucky Thirteen" attack).
//
// With encryptThenMAC, as negotiated by the encrypt_then_mac extension
// (RFC 7366), the MAC follows the encrypted content and padding, and covers
// epoch || seq || type || version || length || IV || ciphertext, length
// being that of the IV and ciphertext (RFC 7366, Section 3); for records
// with a connection ID it is that of RFC 9146, Section 5.2. Open checks the
// MAC before it decrypts anything, which leaves no padding oracle.
func NewCBC(encKey, macKey []byte, mac crypto.Hash, encryptThenMAC bool, rand io.Reader) (Cipher, error) {
	m, ok := cbcMACs[mac]
	if !ok {
		return nil, fmt.Errorf("dtls: AES-CBC cipher suites have no HMAC with %v", mac)
	}
	if len(encKey) != 16 && len(encKey) != 32 {
		return nil, errors.New("dtls: AES-CBC key must be 16 or 32 bytes")
	}
	if len(macKey) != mac.Size() {
		return nil, fmt.Errorf("dtls: %s key must be %d bytes", m.name, mac.Size())
	}
	c, err := newCBCCipher(encKey)
	if err != nil {
		return nil, err
	}
	if rand == nil {
		rand = crand.Reader
	}
	c.mac = hmac.New(m.new, macKey)
	c.macLen = mac.Size()
	c.etm = encryptThenMAC
	c.rand = rand
	return c, nil
}

// newCBCCipher returns a cbcCipher with its AES-CBC encrypter and
// decrypter for encKey, and no MAC yet.
func newCBCCipher(encKey []byte) (*cbcCipher, error) {
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
	return &cbcCipher{block: block, enc: enc, dec: dec}, nil
}

// innerMAC returns the number of MAC bytes inside the encryption: all of
// them when the MAC is encrypted, none with Encrypt-then-MAC.
func (c *cbcCipher) innerMAC() int {
	if c.etm {
		return 0
	}
	return c.macLen
}

// outerMAC returns the number of MAC bytes after the encryption: none when
// the MAC is encrypted, all of them with Encrypt-then-MAC.
func (c *cbcCipher) outerMAC() int { return c.macLen - c.innerMAC() }

func (c *cbcCipher) SealedLen(n int) int {
	blocks := (n + c.innerMAC() + 1 + aes.BlockSize - 1) / aes.BlockSize
	return aes.BlockSize + blocks*aes.BlockSize + c.outerMAC()
}

func (c *cbcCipher) MaxPlaintext(space int) int {
	blocks := (space - aes.BlockSize - c.outerMAC()) / aes.BlockSize
	return clampPlaintext(blocks*aes.BlockSize - c.innerMAC() - 1)
}

func (c *cbcCipher) Seal(dst []byte, h Header, plaintext []byte) []byte {
	dst, start := c.begin(dst, h.Epoch, h.Seq, len(plaintext))
	dst = append(dst, plaintext...)
	return c.finish(dst, start, appendAdditionalData(c.ad[:0], h, c.macInputLen(len(plaintext))))
}

// SealCID MACs and encrypts a DTLSInnerPlaintext as Seal does a plaintext,
// with the MAC input of RFC 9146, Section 5.1 (the additional data, then
// the DTLSInnerPlaintext, whose length the additional data ends with) or,
// with Encrypt-then-MAC, Section 5.2.
func (c *cbcCipher) SealCID(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int) []byte {
	n := len(content) + 1 + padding
	dst, start := c.begin(dst, h.Epoch, h.Seq, n)
	dst = AppendInnerPlaintext(dst, content, typ, padding)
	if c.etm {
		return c.finish(dst, start, appendCIDEtMData(cidScratch(&c.cidAD), h, c.macInputLen(n)))
	}
	return c.finish(dst, start, appendCIDAdditionalData(cidScratch(&c.cidAD), h, n))
}

// macInputLen returns the length that the MAC input holds for a record of
// n bytes of plaintext: n when the MAC is encrypted with the plaintext, and
// the length of the IV and ciphertext with Encrypt-then-MAC (RFC 7366,
// Section 3).
func (c *cbcCipher) macInputLen(n int) int {
	if c.etm {
		return c.SealedLen(n) - c.macLen
	}
	return n
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

// finish protects the plaintext at dst[start:], after the IV that begin
// appended, with the MAC input ad. MAC then encrypt appends the MAC of ad
// and the plaintext, then the padding, and encrypts them all in place;
// Encrypt-then-MAC appends the padding, encrypts, and appends the MAC of ad,
// the IV and the ciphertext (RFC 7366, Section 3).
func (c *cbcCipher) finish(dst []byte, start int, ad []byte) []byte {
	if !c.etm {
		dst = append(dst, c.sumOf(ad, dst[start:])...)
	}
	dst = c.padEncrypt(dst, start)
	if c.etm {
		dst = append(dst, c.sumOf(ad, dst[start-aes.BlockSize:])...)
	}
	return dst
}

// padEncrypt appends the least padding that fills the last block after
// dst[start:], and encrypts dst[start:] in place under the IV that begin
// appended. Every padding byte, padding_length included, holds the count of
// the others.
func (c *cbcCipher) padEncrypt(dst []byte, start int) []byte {
	padLen := byte(aes.BlockSize - 1 - (len(dst)-start)%aes.BlockSize)
	for range int(padLen) + 1 {
		dst = append(dst, padLen)
	}
	body := dst[start:]
	c.enc.SetIV(c.iv[:])
	c.enc.CryptBlocks(body, body)
	return dst
}

// sumOf returns the MAC of ad || data, in c.sum.
func (c *cbcCipher) sumOf(ad, data []byte) []byte {
	c.mac.Reset()
	c.mac.Write(ad)
	c.mac.Write(data)
	return c.mac.Sum(c.sum[:0])
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
	if c.etm {
		if !c.validLen(fragment) {
			return nil, ErrBadRecordMAC
		}
		return c.openEtM(fragment, appendAdditionalData(c.ad[:0], h, len(fragment)-c.macLen))
	}
	body, n, padGood, ok := c.decrypt(fragment)
	if !ok {
		return nil, ErrBadRecordMAC
	}
	return c.verify(body, n, padGood, appendAdditionalData(c.ad[:0], h, n))
}

// OpenCID opens the DTLSInnerPlaintext as Open does a plaintext, with the
// MAC input of RFC 9146, Section 5.1, or Section 5.2 with Encrypt-then-MAC.
// Without Encrypt-then-MAC, the inner plaintext's length, which the MAC
// input holds, depends on the padding; appendCIDAdditionalData writes it
// without branching on it.
func (c *cbcCipher) OpenCID(h CIDHeader, fragment []byte) ([]byte, ContentType, error) {
	inner, err := c.openCIDInner(h, fragment)
	if err != nil {
		return nil, 0, err
	}
	return openInner(inner)
}

// openCIDInner authenticates and decrypts a record with a connection ID
// and returns its DTLSInnerPlaintext.
func (c *cbcCipher) openCIDInner(h CIDHeader, fragment []byte) ([]byte, error) {
	if c.etm {
		if !c.validLen(fragment) {
			return nil, ErrBadRecordMAC
		}
		return c.openEtM(fragment, appendCIDEtMData(cidScratch(&c.cidAD), h, len(fragment)-c.macLen))
	}
	body, n, padGood, ok := c.decrypt(fragment)
	if !ok {
		return nil, ErrBadRecordMAC
	}
	return c.verify(body, n, padGood, appendCIDAdditionalData(cidScratch(&c.cidAD), h, n))
}

// validLen reports whether a fragment of len(fragment) bytes can be a
// record: an IV, whole blocks of ciphertext that hold at least the
// encrypted MAC and a padding_length byte, and the MAC that follows them,
// if any.
func (c *cbcCipher) validLen(fragment []byte) bool {
	minBody := (c.innerMAC() + 1 + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	body := len(fragment) - aes.BlockSize - c.outerMAC()
	return body >= minBody && body%aes.BlockSize == 0
}

// decrypt decrypts fragment in place after its IV and returns the body
// (content, MAC if encrypted, padding), the length n of the content, and
// padGood = 1 if the padding is well formed; with bad padding, n is as if
// there were none. Without Encrypt-then-MAC, it also copies the encrypted
// MAC into c.remote. ok is false if fragment's length cannot be that of a
// record. With Encrypt-then-MAC, the body excludes the MAC that follows
// it, which decrypt does not check.
func (c *cbcCipher) decrypt(fragment []byte) (body []byte, n, padGood int, ok bool) {
	if !c.validLen(fragment) {
		return nil, 0, 0, false
	}
	s := cryptobyte.String(fragment[:len(fragment)-c.outerMAC()])
	var iv []byte
	if !s.ReadBytes(&iv, aes.BlockSize) {
		return nil, 0, 0, false
	}
	body = []byte(s)
	c.dec.SetIV(iv)
	c.dec.CryptBlocks(body, body)

	// From here on, the lengths depend on the padding, which is secret:
	// cryptobyte's early returns would leak it, so the checks below and in
	// verify use constant-time arithmetic instead.
	padLen, good := checkPadding(body, c.innerMAC())
	n = len(body) - c.innerMAC() - padLen
	if !c.etm {
		copyMAC(c.remote[:c.macLen], body, n)
	}
	return body, n, good, true
}
