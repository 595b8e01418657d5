package record

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"

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
)

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
	return newAEADCipher(aead, fixedIV, gcmExplicitLen), nil
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
	return newAEADCipher(aead, fixedIV, gcmExplicitLen), nil
}
