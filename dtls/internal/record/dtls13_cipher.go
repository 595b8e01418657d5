package record

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/pathdtls/pathdtls/dtls/internal/ccm"
)

// Cipher13 protects the DTLSCiphertext records (RFC 9147, Section 4) of one
// epoch in one direction, with the AEAD of a TLS 1.3 cipher suite and
// record number encryption (Section 4.2.3). It is not safe for concurrent
// use: each direction and epoch has its own.
//
// The per-record nonce is the write IV XORed with the record's 64-bit
// sequence number, padded on the left (RFC 8446, Section 5.3). The epoch is
// not part of it: "unlike DTLS 1.2, the epoch is not included" (RFC 9147,
// Section 4); each epoch has keys of its own. The additional data is the
// unified header as sent, but with the sequence number not yet encrypted
// (Section 4). Sequence numbers start at 0 in each epoch (Section 4.2) and
// must stay at most MaxSeq, below which the receiver reconstructs them.
type Cipher13 struct {
	aead  cipher.AEAD
	tag   int // the AEAD's tag length
	iv    [iv13Len]byte
	nonce [iv13Len]byte
	sn    snMask
}

// NewCipher13 returns the Cipher13 of suite s with the write key, write IV
// and sn_key of one epoch and direction, which the key schedule derives as
// HKDF-Expand-Label(traffic secret, "key" / "iv" / "sn", "", length) with
// the "dtls13" label prefix (RFC 9147, Sections 4.2.3 and 5.9): key and
// snKey are s.KeyLen() bytes long, iv s.IVLen(). The AEADs are
// crypto/cipher's AES-GCM, x/crypto's ChaCha20-Poly1305 and this module's
// AES-CCM with a 16- or 8-byte tag (RFC 8446, Section B.4).
func NewCipher13(s Suite13, key, iv, snKey []byte) (*Cipher13, error) {
	if !s.Known() {
		return nil, errors.New("dtls: unknown TLS 1.3 cipher suite " + s.String())
	}
	if len(key) != s.KeyLen() || len(snKey) != s.KeyLen() || len(iv) != s.IVLen() {
		return nil, errors.New("dtls: wrong key, IV or sn_key length for " + s.String())
	}
	aead, err := newAEAD13(s, key)
	if err != nil {
		return nil, err
	}
	c := &Cipher13{aead: aead, tag: s.TagLen()}
	copy(c.iv[:], iv)
	if err := c.sn.init(s, snKey); err != nil {
		return nil, err
	}
	return c, nil
}

// newAEAD13 returns the AEAD of suite s under key (RFC 8446, Section B.4).
func newAEAD13(s Suite13, key []byte) (cipher.AEAD, error) {
	if s == TLS_CHACHA20_POLY1305_SHA256 {
		return chacha20poly1305.New(key)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if s == TLS_AES_128_CCM_SHA256 || s == TLS_AES_128_CCM_8_SHA256 {
		return ccm.New(block, s.TagLen(), iv13Len)
	}
	return cipher.NewGCM(block)
}

// Overhead returns how much longer than its payload a record's
// encrypted_record is with padding bytes of padding: the content type
// byte, the padding and the tag. A payload so short that the record would
// fall under 16 bytes is padded further (see SealedLen); the unified
// header (HeaderLen13) comes on top.
func (c *Cipher13) Overhead(padding int) int { return 1 + max(padding, 0) + c.tag }

// SealedLen returns the length of the encrypted_record that AppendRecord
// makes of an n-byte payload with padding bytes of padding: that of the
// DTLSInnerPlaintext (payload, type, zeros) plus the tag, and at least
// 16 bytes, which record number encryption needs (RFC 9147, Section 4.2.3).
func (c *Cipher13) SealedLen(n, padding int) int {
	return max(n+c.Overhead(padding), snSampleLen)
}

// MaxPayload returns the largest payload whose whole record, as
// AppendRecord makes it with a cidLen-byte connection ID and no padding,
// fits in space bytes: HeaderLen13(cidLen) + payload + 1 + tag, and at most
// MaxPlaintext (RFC 8446, Section 5.1); 0 if not even an empty record
// fits. A caller that pads by p bytes asks for MaxPayload(space-p, cidLen).
func (c *Cipher13) MaxPayload(space, cidLen int) int {
	if space < HeaderLen13(cidLen)+c.SealedLen(0, 0) {
		return 0
	}
	return min(max(space-HeaderLen13(cidLen)-c.Overhead(0), 0), MaxPlaintext)
}

// setNonce makes the nonce of the record with sequence number seq (RFC
// 8446, Section 5.3; RFC 9147, Section 4) and returns it.
func (c *Cipher13) setNonce(seq uint64) []byte {
	c.nonce = c.iv
	n := binary.BigEndian.Uint64(c.nonce[iv13Len-8:]) ^ seq
	binary.BigEndian.PutUint64(c.nonce[iv13Len-8:], n)
	return c.nonce[:]
}

// AppendRecord appends to dst a whole DTLSCiphertext (RFC 9147, Section 4)
// carrying payload with the real content type typ (not 0) and padding zero
// bytes of padding (RFC 8446, Section 5.4), more if the encrypted_record
// would be shorter than 16 bytes. Its unified header has the C bit and the
// connection ID when cid is not empty, the S bit with the low 16 bits of
// seq, the L bit with the length, and the low two bits of epoch. seq is
// the record's sequence number in its epoch, at most MaxSeq; the caller
// numbers records and never repeats a number, retransmissions included.
// payload and padding together must be at most MaxPlaintext bytes, and cid
// at most MaxCIDLen; payload must not overlap dst. The record is
// HeaderLen13(len(cid)) + SealedLen(len(payload), padding) bytes long, and
// AppendRecord does not allocate when dst has room for it.
func (c *Cipher13) AppendRecord(dst []byte, epoch, seq uint64, cid []byte, typ ContentType, payload []byte, padding int) []byte {
	sealed := c.SealedLen(len(payload), padding)
	start := len(dst)
	dst = slices.Grow(dst, HeaderLen13(len(cid))+sealed)
	dst = appendUnifiedHeader(dst, epoch, seq, cid, sealed)
	body := len(dst)
	dst = AppendInnerPlaintext(dst, payload, typ, sealed-c.tag-len(payload)-1)
	dst = c.aead.Seal(dst[:body], c.setNonce(seq), dst[body:], dst[start:body])
	mask := c.sn.make(dst[body:])
	dst[body-4] ^= mask[0] // the sequence number, before the length
	dst[body-3] ^= mask[1]
	return dst
}

// Open authenticates and decrypts, in place, the record that ParseUnified
// split into hdr and body, given its epoch (the caller picks c by it; see
// ReconstructEpoch) and expected, one plus the highest sequence number
// deprotected so far in the epoch (0 for a new one). It decrypts the
// sequence number in hdr (RFC 9147, Section 4.2.3), reconstructs the full
// number closest to expected (ReconstructSeq), opens body with the header
// as additional data, and splits the DTLSInnerPlaintext into its content,
// a sub-slice of body, and real content type (RFC 8446, Section 5.4). seq
// is for the replay window and the ACKs; the caller marks it only once
// Open has succeeded.
//
// Every authentication failure, a body under 16 bytes included, returns
// ErrBadRecordMAC; an authentic record can still fail with
// ErrNoContentType (all zeros, an unexpected_message) or ErrRecordOverflow
// (a DTLSInnerPlaintext over 2^14+1 bytes). A header whose epoch bits are
// not epoch's, or which ParseUnified would not have returned, fails with
// another error. After a failure hdr and body hold garbage. Open does not
// allocate.
func (c *Cipher13) Open(hdr, body []byte, epoch, expected uint64) (typ ContentType, content []byte, seq uint64, err error) {
	off, n, ok := unifiedSeq(hdr)
	switch {
	case !ok || hdr[0]&unifiedL != 0 && int(binary.BigEndian.Uint16(hdr[len(hdr)-2:])) != len(body):
		return 0, nil, 0, errBadHeader
	case hdr[0]&unifiedEpochMask != EpochBits(epoch):
		return 0, nil, 0, errEpochBitsOff
	case len(body) < snSampleLen:
		return 0, nil, 0, ErrBadRecordMAC
	}
	mask := c.sn.make(body)
	wire := uint64(0)
	for i := range n {
		hdr[off+i] ^= mask[i]
		wire = wire<<8 | uint64(hdr[off+i])
	}
	seq = ReconstructSeq(wire, uint(8*n), expected)
	inner, err := c.aead.Open(body[:0], c.setNonce(seq), body, hdr)
	if err != nil {
		return 0, nil, 0, ErrBadRecordMAC
	}
	if len(inner) > MaxPlaintext+1 {
		return 0, nil, 0, ErrRecordOverflow
	}
	content, typ, ok = ParseInnerPlaintext(inner)
	if !ok {
		return 0, nil, 0, ErrNoContentType
	}
	return typ, content, seq, nil
}
