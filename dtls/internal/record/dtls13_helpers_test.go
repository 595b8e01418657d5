package record

import (
	"crypto/hkdf"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// suites13 lists every Suite13, in code point order.
var suites13 = []Suite13{
	TLS_AES_128_GCM_SHA256,
	TLS_AES_256_GCM_SHA384,
	TLS_CHACHA20_POLY1305_SHA256,
	TLS_AES_128_CCM_SHA256,
	TLS_AES_128_CCM_8_SHA256,
}

// expandLabel13 is HKDF-Expand-Label (RFC 8446, Section 7.1) with the
// DTLS 1.3 label prefix "dtls13" (RFC 9147, Section 5.9) and an empty
// context:
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<6..255> = "dtls13" + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
func expandLabel13(t testing.TB, s Suite13, secret []byte, label string, n int) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddUint16(uint16(n))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("dtls13" + label)) })
	b.AddUint8LengthPrefixed(func(*cryptobyte.Builder) {})
	info, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out, err := hkdf.Expand(s.Hash().New, secret, string(info), n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// trafficKeys13 derives the write key, IV and sn_key of a traffic secret
// (RFC 8446, Section 7.3; RFC 9147, Section 4.2.3).
func trafficKeys13(t testing.TB, s Suite13, secret []byte) (key, iv, snKey []byte) {
	t.Helper()
	return expandLabel13(t, s, secret, "key", s.KeyLen()),
		expandLabel13(t, s, secret, "iv", s.IVLen()),
		expandLabel13(t, s, secret, "sn", s.KeyLen())
}

// nextSecret13 is the traffic secret after a KeyUpdate (RFC 8446, Section
// 7.2): HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
func nextSecret13(t testing.TB, s Suite13, secret []byte) []byte {
	t.Helper()
	return expandLabel13(t, s, secret, "traffic upd", s.Hash().Size())
}

// newCipher13FromSecret returns the Cipher13 of a traffic secret.
func newCipher13FromSecret(t testing.TB, s Suite13, secret []byte) *Cipher13 {
	t.Helper()
	key, iv, snKey := trafficKeys13(t, s, secret)
	c, err := NewCipher13(s, key, iv, snKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testSecret13 is the traffic secret of the tests that are not known-answer
// tests: 48 bytes, of which the SHA-256 suites use 32.
var testSecret13 = []byte("a traffic secret of forty-eight bytes, not more.")

// newTestCipher13 returns a Cipher13 of suite s under testSecret13; a test
// that seals and opens makes one for each end.
func newTestCipher13(t testing.TB, s Suite13) *Cipher13 {
	t.Helper()
	return newCipher13FromSecret(t, s, testSecret13[:s.Hash().Size()])
}

// testCID13 is the connection ID of the tests' records that carry one.
var testCID13 = []byte{0xc1, 0xd2, 0xe3, 0xf4}
