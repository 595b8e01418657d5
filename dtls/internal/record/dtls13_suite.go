package record

import (
	"crypto"
	"strconv"
)

// Suite13 is a TLS 1.3 cipher suite (RFC 8446, Section B.4), which DTLS 1.3
// uses unchanged (RFC 9147, Section 4): an AEAD for the records and a hash
// for the key schedule. Its value is the suite's code point.
type Suite13 uint16

// The cipher suites of RFC 8446, Section B.4.
const (
	TLS_AES_128_GCM_SHA256       Suite13 = 0x1301
	TLS_AES_256_GCM_SHA384       Suite13 = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 Suite13 = 0x1303
	TLS_AES_128_CCM_SHA256       Suite13 = 0x1304
	TLS_AES_128_CCM_8_SHA256     Suite13 = 0x1305
)

// iv13Len is the length of every TLS 1.3 AEAD's write IV and nonce: the
// AEADs of RFC 8446, Section B.4, all take 12-byte nonces (RFC 5116,
// Section 5; RFC 8439, Section 2.8), and the IV is as long as the nonce
// (RFC 8446, Section 5.3).
const iv13Len = 12

// Known reports whether s is one of the five suites of RFC 8446, Section
// B.4, which NewCipher13 accepts.
func (s Suite13) Known() bool {
	return s >= TLS_AES_128_GCM_SHA256 && s <= TLS_AES_128_CCM_8_SHA256
}

// KeyLen returns the length of the suite's write key (RFC 8446, Section
// 7.3), which is also that of its sn_key (RFC 9147, Section 4.2.3): 16 for
// the AES-128 suites, 32 for AES-256 and ChaCha20; 0 for an unknown suite.
func (s Suite13) KeyLen() int {
	switch s {
	case TLS_AES_128_GCM_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256:
		return 16
	case TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256:
		return 32
	}
	return 0
}

// IVLen returns the length of the suite's write IV (RFC 8446, Section 5.3):
// 12 for every known suite, 0 for an unknown one.
func (s Suite13) IVLen() int {
	if !s.Known() {
		return 0
	}
	return iv13Len
}

// TagLen returns the length of the suite's authentication tag: 8 for
// TLS_AES_128_CCM_8_SHA256 (RFC 6655, Section 3), 16 for the others, 0 for
// an unknown suite.
func (s Suite13) TagLen() int {
	switch {
	case s == TLS_AES_128_CCM_8_SHA256:
		return 8
	case s.Known():
		return 16
	}
	return 0
}

// Hash returns the hash of the suite's key schedule (RFC 8446, Section
// B.4): SHA-384 for TLS_AES_256_GCM_SHA384, SHA-256 for the others, 0 for
// an unknown suite.
func (s Suite13) Hash() crypto.Hash {
	switch {
	case s == TLS_AES_256_GCM_SHA384:
		return crypto.SHA384
	case s.Known():
		return crypto.SHA256
	}
	return 0
}

// String returns the suite's name in RFC 8446, Section B.4, or
// "Suite13(0x....)" for an unknown one.
func (s Suite13) String() string {
	switch s {
	case TLS_AES_128_GCM_SHA256:
		return "TLS_AES_128_GCM_SHA256"
	case TLS_AES_256_GCM_SHA384:
		return "TLS_AES_256_GCM_SHA384"
	case TLS_CHACHA20_POLY1305_SHA256:
		return "TLS_CHACHA20_POLY1305_SHA256"
	case TLS_AES_128_CCM_SHA256:
		return "TLS_AES_128_CCM_SHA256"
	case TLS_AES_128_CCM_8_SHA256:
		return "TLS_AES_128_CCM_8_SHA256"
	}
	return "Suite13(0x" + strconv.FormatUint(uint64(s), 16) + ")"
}
