package record

import (
	"crypto/aes"
	"crypto/cipher"
	"strconv"
	"testing"
)

var benchSizes = []int{100, 1000}

// BenchmarkSealOpen seals a record and opens it again per op, through
// AppendRecord, Split and Open as the data path uses them.
func BenchmarkSealOpen(b *testing.B) {
	for _, cc := range cipherCases[1:] { // AESGCM, CBCSHA1
		for _, n := range benchSizes {
			b.Run(cc.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				sealer, opener := cc.new(b), cc.new(b)
				plaintext := testPlaintext(n)
				buf := make([]byte, 0, HeaderLen+sealer.SealedLen(n))
				h := testHeader
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					h.Seq++
					datagram := AppendRecord(buf, h, plaintext, sealer)
					got, fragment, _, ok := Split(datagram)
					if !ok {
						b.Fatal("Split failed")
					}
					if _, err := opener.Open(got, fragment); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSealOpenCID is BenchmarkSealOpen for records with a 4-byte
// connection ID and no padding, through AppendCIDRecord, SplitCID and
// OpenCID.
func BenchmarkSealOpenCID(b *testing.B) {
	for _, cc := range cidCipherCases {
		for _, n := range benchSizes {
			b.Run(cc.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				sealer, opener := cc.new(b), cc.new(b)
				content := testPlaintext(n)
				h := testCIDHeader
				buf := make([]byte, 0, h.Len()+sealer.SealedLen(n+1))
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					h.Seq++
					datagram := AppendCIDRecord(buf, h, ApplicationData, content, 0, sealer)
					got, fragment, _, ok := SplitCID(datagram, len(h.CID))
					if !ok {
						b.Fatal("SplitCID failed")
					}
					if _, _, err := opener.OpenCID(got, fragment); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBaselineAESGCM is the floor for BenchmarkSealOpen/AESGCM: a bare
// AES-128-GCM seal and open of the same sizes, with a precomputed nonce and
// additional data.
func BenchmarkBaselineAESGCM(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			block, err := aes.NewCipher(testAESKey)
			if err != nil {
				b.Fatal(err)
			}
			aead, err := cipher.NewGCM(block)
			if err != nil {
				b.Fatal(err)
			}
			nonce := make([]byte, aead.NonceSize())
			ad := make([]byte, additionalDataLen)
			plaintext := testPlaintext(n)
			buf := make([]byte, 0, n+aead.Overhead())
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				sealed := aead.Seal(buf, nonce, plaintext, ad)
				if _, err := aead.Open(sealed[:0], nonce, sealed, ad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
