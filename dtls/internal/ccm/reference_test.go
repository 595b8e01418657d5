package ccm

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"testing"
)

// referenceSeal is CCM written as RFC 3610, Section 2 reads, for
// differential tests: it builds the whole sequence B_0, B_1, …, B_n in memory,
// runs CBC-MAC over it, and builds each A_i from scratch. It shares no code
// with the package but the block cipher.
func referenceSeal(b cipher.Block, tagSize int, nonce, plaintext, ad []byte) []byte {
	l := 15 - len(nonce)
	flags := byte(8*((tagSize-2)/2) + (l - 1))
	if len(ad) > 0 {
		flags += 64
	}
	blocks := []byte{flags}
	blocks = append(blocks, nonce...)
	blocks = appendBE(blocks, uint64(len(plaintext)), l)
	if len(ad) > 0 {
		switch n := uint64(len(ad)); {
		case n < 0xff00:
			blocks = appendBE(blocks, n, 2)
		case n < 1<<32:
			blocks = appendBE(append(blocks, 0xff, 0xfe), n, 4)
		default:
			blocks = appendBE(append(blocks, 0xff, 0xff), n, 8)
		}
		blocks = pad(append(blocks, ad...))
	}
	blocks = pad(append(blocks, plaintext...))

	x := make([]byte, 16)
	for i := 0; i < len(blocks); i += 16 {
		for j := range x {
			x[j] ^= blocks[i+j]
		}
		b.Encrypt(x, x)
	}

	s := make([]byte, 16)
	counter := func(i uint64) []byte {
		a := append([]byte{byte(l - 1)}, nonce...)
		a = appendBE(a, i, l)
		b.Encrypt(s, a)
		return s
	}
	var out []byte
	for i := 0; i < len(plaintext); i += 16 {
		s := counter(uint64(i/16 + 1))
		for j := i; j < len(plaintext) && j < i+16; j++ {
			out = append(out, plaintext[j]^s[j-i])
		}
	}
	s0 := counter(0)
	for j := range tagSize {
		out = append(out, x[j]^s0[j])
	}
	return out
}

// appendBE appends v as an n-byte big-endian number.
func appendBE(b []byte, v uint64, n int) []byte {
	var w [8]byte
	binary.BigEndian.PutUint64(w[:], v)
	if n > 8 {
		b = append(b, make([]byte, n-8)...)
		n = 8
	}
	return append(b, w[8-n:]...)
}

// pad appends zeros up to a multiple of 16 bytes.
func pad(b []byte) []byte {
	for len(b)%16 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestReferenceKATs checks the reference against the known answers, so that
// the differential tests rest on something.
func TestReferenceKATs(t *testing.T) {
	for _, tc := range allKATs() {
		b, err := aes.NewCipher(unhex(tc.key))
		if err != nil {
			t.Fatal(err)
		}
		got := referenceSeal(b, tc.tagSize, unhex(tc.nonce), tc.plaintext, tc.ad)
		if want := unhex(tc.sealed); string(got) != string(want) {
			t.Errorf("%s: reference gives %x, want %x", tc.name, got, want)
		}
	}
}
