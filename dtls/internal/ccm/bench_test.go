package ccm

import (
	"crypto/aes"
	"crypto/cipher"
	"strconv"
	"testing"
)

// benchSizes are the record sizes benchmarked: a full data record and a
// small one.
var benchSizes = []int{1000, 100}

// BenchmarkCCM seals a record in place and opens it again per op, with the
// 13-byte additional data and 12-byte nonce of a DTLS 1.2 record, for
// AES-128-CCM (M = 16) and AES-128-CCM_8 (M = 8).
func BenchmarkCCM(b *testing.B) {
	for _, tagSize := range []int{16, 8} {
		for _, n := range benchSizes {
			b.Run("tag"+strconv.Itoa(tagSize)+"/"+strconv.Itoa(n), func(b *testing.B) {
				benchSealOpen(b, newAEAD(b, unhex(dtlsKey128), tagSize, 12), n)
			})
		}
	}
}

// BenchmarkBaselineGCM is BenchmarkCCM for crypto/cipher's AES-128-GCM, to
// read CCM's cost against from the same run.
func BenchmarkBaselineGCM(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			block, err := aes.NewCipher(unhex(dtlsKey128))
			if err != nil {
				b.Fatal(err)
			}
			aead, err := cipher.NewGCM(block)
			if err != nil {
				b.Fatal(err)
			}
			benchSealOpen(b, aead, n)
		})
	}
}

func benchSealOpen(b *testing.B, aead cipher.AEAD, n int) {
	nonce, ad := unhex(dtlsNonce), dtlsAD
	buf := make([]byte, n, n+aead.Overhead())
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		sealed := aead.Seal(buf[:0], nonce, buf, ad)
		if _, err := aead.Open(sealed[:0], nonce, sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
