// Package prf implements the pseudo-random functions of TLS 1.0 and TLS 1.2
// as DTLS 1.0 (RFC 4347) and DTLS 1.2 (RFC 6347) use them, and the key
// derivations built on them: the master secret, the key block and the
// Finished verify_data.
package prf

import (
	"crypto"
	_ "crypto/md5" // the hashes of the PRFs, for crypto.Hash.New
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Func is a TLS pseudo-random function: it fills result from secret, label
// and seed (RFC 5246, Section 5).
type Func func(result, secret, label, seed []byte)

// PRF10 is the pseudo-random function of TLS 1.0 and 1.1, which DTLS 1.0
// uses: P_MD5 of the first half of secret XORed with P_SHA1 of the second
// half, the halves sharing a byte when the secret's length is odd (RFC 2246,
// Section 5; RFC 4346, Section 5).
func PRF10(result, secret, label, seed []byte) {
	half := (len(secret) + 1) / 2
	s1, s2 := secret[:half], secret[len(secret)-half:]

	pHash(result, s1, label, seed, crypto.MD5)
	tmp := make([]byte, len(result))
	pHash(tmp, s2, label, seed, crypto.SHA1)
	for i, b := range tmp {
		result[i] ^= b
	}
}

// PRF12 returns the pseudo-random function of TLS 1.2, which DTLS 1.2 uses:
// P_hash with the cipher suite's PRF hash h, SHA-256 unless the suite says
// otherwise (RFC 5246, Section 5).
func PRF12(h crypto.Hash) Func {
	switch h {
	case crypto.SHA256:
		return prf12SHA256
	case crypto.SHA384:
		return prf12SHA384
	}
	return func(result, secret, label, seed []byte) { pHash(result, secret, label, seed, h) }
}

func prf12SHA256(result, secret, label, seed []byte) {
	pHash(result, secret, label, seed, crypto.SHA256)
}

func prf12SHA384(result, secret, label, seed []byte) {
	pHash(result, secret, label, seed, crypto.SHA384)
}

// pHash fills result with the data expansion function P_hash of RFC 5246,
// Section 5, over secret and the concatenation of label and seed:
//
//	P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
//	                       HMAC_hash(secret, A(2) + seed) + ...
//	A(0) = seed
//	A(i) = HMAC_hash(secret, A(i-1))
func pHash(result, secret, label, seed []byte, h crypto.Hash) {
	if len(result) == 0 {
		return
	}
	m := getMAC(h, secret)
	defer putMAC(h, m)
	m.reset()
	m.write(label)
	m.write(seed)
	a := m.sum(m.a[:0]) // A(1)
	for {
		m.reset()
		m.write(a)
		m.write(label)
		m.write(seed)
		n := copy(result, m.sum(m.b[:0]))
		if result = result[n:]; len(result) == 0 {
			return
		}
		m.reset()
		m.write(a)
		a = m.sum(a[:0]) // A(i+1)
	}
}
