package record

import (
	"bytes"
	"encoding/hex"
	"io"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// The keys of the tests that are not known-answer tests.
var (
	testAESKey  = []byte("0123456789abcdef")
	testMACKey  = []byte("mac key of twenty b.")
	testFixedIV = []byte{0xca, 0xfe, 0xba, 0xbe}
)

// cipherCase builds one Cipher with the test keys.
type cipherCase struct {
	name string
	new  func(t testing.TB) Cipher
}

// cipherCases builds each Cipher with the test keys, the four AES-CBC
// variants (cbcVariants) included. A test that seals and opens builds two,
// one for each end.
var cipherCases = append([]cipherCase{
	{"Null", func(testing.TB) Cipher { return NewNull() }},
	{"AESGCM", newTestGCM},
	{"AES256GCM", newTestGCM256},
	{"ChaCha20Poly1305", newTestChaCha},
	{"AESCCM", func(t testing.TB) Cipher { return newTestCCM(t, 16) }},
	{"AESCCM8", func(t testing.TB) Cipher { return newTestCCM(t, 8) }},
}, cbcCipherCases()...)

// cbcCipherCases returns a cipherCase for each of cbcVariants.
func cbcCipherCases() []cipherCase {
	var cases []cipherCase
	for _, v := range cbcVariants {
		cases = append(cases, cipherCase{"CBC" + v.name, func(t testing.TB) Cipher { return v.new(t, nil) }})
	}
	return cases
}

func newTestCCM(t testing.TB, tagLen int) Cipher {
	t.Helper()
	c, err := NewAESCCM(testAESKey, testFixedIV, tagLen)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testKey32 is the 32-byte key of AES-256-GCM and ChaCha20-Poly1305.
var testKey32 = []byte("0123456789abcdef0123456789ABCDEF")

func newTestGCM256(t testing.TB) Cipher {
	t.Helper()
	c, err := NewAESGCM(testKey32, testFixedIV)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestChaCha(t testing.TB) Cipher {
	t.Helper()
	c, err := NewChaCha20Poly1305(testKey32, []byte("twelve bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestGCM(t testing.TB) Cipher {
	t.Helper()
	c, err := NewAESGCM(testAESKey, testFixedIV)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTestCBC returns an AES-128-CBC HMAC-SHA1 cipher drawing IVs from rand.
func newTestCBC(t testing.TB, rand io.Reader) Cipher {
	t.Helper()
	c, err := NewCBCSHA1(testAESKey, testMACKey, rand)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testPlaintext returns n bytes of a fixed pattern.
func testPlaintext(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// testHeader is the header of the records the tests seal.
var testHeader = Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 0x0102030405}

// sealRecord seals plaintext under h with c and returns the fragment.
func sealRecord(c Cipher, h Header, plaintext []byte) []byte {
	return c.Seal(nil, h, plaintext)
}

// openCopy opens a copy of fragment, leaving fragment as it was.
func openCopy(c Cipher, h Header, fragment []byte) ([]byte, error) {
	return c.Open(h, bytes.Clone(fragment))
}
