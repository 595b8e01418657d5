package record

import (
	"crypto/aes"
	"crypto/cipher"
	"strconv"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/pathdtls/pathdtls/dtls/internal/ccm"
)

var benchSizes = []int{100, 1000}

// BenchmarkSealOpen seals a record and opens it again per op, through
// AppendRecord, Split and Open as the data path uses them.
func BenchmarkSealOpen(b *testing.B) {
	for _, cc := range cipherCases[1:] { // all but Null
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

// BenchmarkBaselineAEAD is the floor for BenchmarkSealOpen's AEADs: a
// bare seal and open of the same sizes with crypto/cipher's AES-GCM
// (128- and 256-bit keys) and x/crypto's ChaCha20-Poly1305, with a
// precomputed nonce and additional data.
func BenchmarkBaselineAEAD(b *testing.B) {
	aeads := map[string]func() (cipher.AEAD, error){
		"AESGCM":           func() (cipher.AEAD, error) { return newGCM(testAESKey) },
		"AES256GCM":        func() (cipher.AEAD, error) { return newGCM(testKey32) },
		"ChaCha20Poly1305": func() (cipher.AEAD, error) { return chacha20poly1305.New(testKey32) },
		"AESCCM":           func() (cipher.AEAD, error) { return newCCM(16) },
		"AESCCM8":          func() (cipher.AEAD, error) { return newCCM(8) },
	}
	for _, name := range []string{"AESGCM", "AES256GCM", "ChaCha20Poly1305", "AESCCM", "AESCCM8"} {
		for _, n := range benchSizes {
			b.Run(name+"/"+strconv.Itoa(n), func(b *testing.B) {
				aead, err := aeads[name]()
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
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newCCM(tagLen int) (cipher.AEAD, error) {
	block, err := aes.NewCipher(testAESKey)
	if err != nil {
		return nil, err
	}
	return ccm.New(block, tagLen, gcmNonceLen)
}
