package record

import (
	"errors"

	"golang.org/x/crypto/chacha20poly1305"
)

// chachaIVLen is the length of the fixed IV of the ChaCha20-Poly1305 record
// layout of RFC 7905, Section 2: no explicit nonce; the nonce is the fixed
// IV XORed with the epoch and sequence number (see aeadCipher), and the
// 16-byte tag follows the ciphertext.
const chachaIVLen = chacha20poly1305.NonceSize

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
	return newAEADCipher(aead, iv, 0), nil
}
