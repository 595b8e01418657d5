package ccm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
	"testing"
)

// allKATs returns every known-answer table.
func allKATs() []kat {
	var all []kat
	for _, table := range [][]kat{rfc3610KATs, nistKATs, dtlsKATs} {
		all = append(all, table...)
	}
	return all
}

// newAEAD returns CCM with AES under key, failing the test on any error.
func newAEAD(t testing.TB, key []byte, tagSize, nonceSize int) cipher.AEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := New(b, tagSize, nonceSize)
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

func TestKnownAnswers(t *testing.T) {
	for _, tc := range allKATs() {
		t.Run(tc.name, func(t *testing.T) {
			nonce, want := unhex(tc.nonce), unhex(tc.sealed)
			aead := newAEAD(t, unhex(tc.key), tc.tagSize, len(nonce))
			if aead.NonceSize() != len(nonce) || aead.Overhead() != tc.tagSize {
				t.Fatalf("NonceSize, Overhead = %d, %d", aead.NonceSize(), aead.Overhead())
			}
			prefix := []byte("prefix")
			sealed := aead.Seal(bytes.Clone(prefix), nonce, tc.plaintext, tc.ad)
			if !bytes.Equal(sealed, append(bytes.Clone(prefix), want...)) {
				t.Fatalf("Seal = %x, want prefix || %x", sealed[len(prefix):], want)
			}
			opened, err := aead.Open(bytes.Clone(prefix), nonce, want, tc.ad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(opened, append(bytes.Clone(prefix), tc.plaintext...)) {
				t.Fatalf("Open = %x, want prefix || %x", opened[len(prefix):], tc.plaintext)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	aesBlock, _ := aes.NewCipher(make([]byte, 16))
	desBlock, _ := des.NewCipher(make([]byte, 8))
	for _, tc := range []struct {
		block              cipher.Block
		tagSize, nonceSize int
	}{
		{desBlock, 16, 12},
		{aesBlock, 0, 12}, {aesBlock, 2, 12}, {aesBlock, 3, 12}, {aesBlock, 9, 12},
		{aesBlock, 17, 12}, {aesBlock, 18, 12}, {aesBlock, -4, 12},
		{aesBlock, 16, 6}, {aesBlock, 16, 14}, {aesBlock, 16, 0},
	} {
		if _, err := New(tc.block, tc.tagSize, tc.nonceSize); err == nil {
			t.Errorf("New(block size %d, tag %d, nonce %d) succeeded",
				tc.block.BlockSize(), tc.tagSize, tc.nonceSize)
		}
	}
}

// TestRoundTrip seals and opens with every tag and nonce size RFC 3610
// allows, across block boundaries of the message and the additional data,
// and checks each result against referenceSeal.
func TestRoundTrip(t *testing.T) {
	for _, keyLen := range []int{16, 32} {
		block, _ := aes.NewCipher(bytesRange(keyLen))
		for tagSize := 4; tagSize <= 16; tagSize += 2 {
			for nonceSize := 7; nonceSize <= 13; nonceSize++ {
				aead, err := New(block, tagSize, nonceSize)
				if err != nil {
					t.Fatal(err)
				}
				nonce := bytes.Repeat([]byte{byte(nonceSize)}, nonceSize)
				for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100} {
					for _, adLen := range []int{0, 1, 13, 14, 15, 16, 17, 40} {
						name := fmt.Sprintf("key %d, M %d, nonce %d, m %d, a %d",
							keyLen, tagSize, nonceSize, n, adLen)
						roundTrip(t, name, aead, block, nonce, bytesRange(n), bytes.Repeat([]byte{0xad}, adLen))
					}
				}
			}
		}
	}
}

func roundTrip(t *testing.T, name string, aead cipher.AEAD, block cipher.Block, nonce, plaintext, ad []byte) {
	t.Helper()
	sealed := aead.Seal(nil, nonce, plaintext, ad)
	want := referenceSeal(block, aead.Overhead(), nonce, plaintext, ad)
	if !bytes.Equal(sealed, want) {
		t.Fatalf("%s: Seal = %x, reference %x", name, sealed, want)
	}
	opened, err := aead.Open(nil, nonce, sealed, ad)
	if err != nil || !bytes.Equal(opened, plaintext) {
		t.Fatalf("%s: Open = %x, %v", name, opened, err)
	}
}

// TestTamper changes each byte of the ciphertext, tag, nonce and additional
// data in turn, and checks that Open fails with errOpen and zeroes what it
// would have returned.
func TestTamper(t *testing.T) {
	for _, tagSize := range []int{16, 8} {
		aead := newAEAD(t, unhex(dtlsKey128), tagSize, 12)
		nonce, ad, plaintext := unhex(dtlsNonce), bytes.Clone(dtlsAD), bytesRange(37)
		sealed := aead.Seal(nil, nonce, plaintext, ad)
		for _, input := range []struct {
			name string
			b    []byte
		}{{"sealed", sealed}, {"nonce", nonce}, {"ad", ad}} {
			for i := range input.b {
				input.b[i] ^= 0x80
				dst := make([]byte, 3, 100)
				got, err := aead.Open(dst, nonce, sealed, ad)
				if got != nil || !errors.Is(err, errOpen) {
					t.Errorf("M %d: %s[%d] changed: Open = %x, %v", tagSize, input.name, i, got, err)
				}
				if out := dst[:cap(dst)]; !bytes.Equal(out, make([]byte, len(out))) {
					t.Errorf("M %d: %s[%d] changed: Open left %x behind", tagSize, input.name, i, out)
				}
				input.b[i] ^= 0x80
			}
		}
		for _, bad := range [][]byte{
			sealed[:len(sealed)-1], sealed[1:], append(bytes.Clone(sealed), 0),
		} {
			if _, err := aead.Open(nil, nonce, bad, ad); err != errOpen {
				t.Errorf("M %d: Open of %d of %d bytes: %v", tagSize, len(bad), len(sealed), err)
			}
		}
		if _, err := aead.Open(nil, nonce, sealed, nil); err != errOpen {
			t.Errorf("M %d: Open without the additional data: %v", tagSize, err)
		}
	}
}

// TestShortCiphertext opens everything shorter than a tag.
func TestShortCiphertext(t *testing.T) {
	for tagSize := 4; tagSize <= 16; tagSize += 2 {
		aead := newAEAD(t, unhex(dtlsKey128), tagSize, 12)
		for n := range tagSize {
			got, err := aead.Open(nil, unhex(dtlsNonce), make([]byte, n), dtlsAD)
			if got != nil || err != errOpen {
				t.Errorf("M %d: Open of %d bytes = %x, %v", tagSize, n, got, err)
			}
		}
	}
}

// TestInPlace seals p[:0] and opens c[:0], as the record layer does.
func TestInPlace(t *testing.T) {
	for _, tc := range dtlsKATs {
		nonce, want := unhex(tc.nonce), unhex(tc.sealed)
		aead := newAEAD(t, unhex(tc.key), tc.tagSize, len(nonce))
		buf := make([]byte, len(tc.plaintext), len(tc.plaintext)+tc.tagSize)
		copy(buf, tc.plaintext)
		sealed := aead.Seal(buf[:0], nonce, buf, tc.ad)
		if !bytes.Equal(sealed, want) || &sealed[0] != &buf[:1][0] {
			t.Fatalf("%s: in-place Seal = %x, want %x in place", tc.name, sealed, want)
		}
		opened, err := aead.Open(sealed[:0], nonce, sealed, tc.ad)
		if err != nil || !bytes.Equal(opened, tc.plaintext) {
			t.Fatalf("%s: in-place Open = %x, %v", tc.name, opened, err)
		}

		copy(buf[:cap(buf)], want)
		buf = buf[:cap(buf)]
		buf[len(buf)-1] ^= 1
		if _, err := aead.Open(buf[:0], nonce, buf, tc.ad); err != errOpen {
			t.Fatalf("%s: in-place Open of a bad tag: %v", tc.name, err)
		}
		if n := len(tc.plaintext); !bytes.Equal(buf[:n], make([]byte, n)) {
			t.Fatalf("%s: failed in-place Open left %x", tc.name, buf[:n])
		}
	}
}

// TestPanics checks the programmer errors that panic, as in crypto/cipher's
// GCM: a wrong nonce length, a message too long for L, inexact overlap.
func TestPanics(t *testing.T) {
	aead := newAEAD(t, unhex(dtlsKey128), 16, 12)
	short := newAEAD(t, unhex(dtlsKey128), 8, 13) // L = 2
	nonce, buf := unhex(dtlsNonce), make([]byte, 100)
	for name, f := range map[string]func(){
		"Seal with a short nonce": func() { aead.Seal(nil, nonce[1:], nil, nil) },
		"Open with a long nonce": func() {
			_, _ = aead.Open(nil, append(nonce, 0), make([]byte, 16), nil)
		},
		"Seal of 2^16 bytes with L = 2": func() {
			short.Seal(nil, make([]byte, 13), make([]byte, 1<<16), nil)
		},
		"Seal with overlap": func() { aead.Seal(buf[1:1], nonce, buf[:50], nil) },
		"Open with overlap": func() {
			sealed := aead.Seal(buf[:0], nonce, buf[:50], nil)
			_, _ = aead.Open(buf[1:1], nonce, sealed, nil)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// TestLengthLimit seals the longest message L = 2 allows, and checks that
// Open turns down a longer one with an error rather than a panic.
func TestLengthLimit(t *testing.T) {
	block, _ := aes.NewCipher(unhex(dtlsKey128))
	aead, _ := New(block, 8, 13)
	nonce, plaintext := make([]byte, 13), bytesRange(1<<16-1)
	roundTrip(t, "L = 2, 2^16-1 bytes", aead, block, nonce, plaintext, nil)
	if _, err := aead.Open(nil, nonce, make([]byte, 1<<16+8), nil); err != errOpen {
		t.Errorf("Open of a 2^16-byte message with L = 2: %v", err)
	}
}

// TestADLengthEncoding checks the three encodings of l(a) of RFC 3610,
// Section 2.2 at their boundaries, the last of which no test can reach with
// real additional data of 2^32 bytes.
func TestADLengthEncoding(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{1, "0001"},
		{0xfeff, "feff"},
		{0xff00, "fffe0000ff00"},
		{1<<32 - 1, "fffeffffffff"},
		{1 << 32, "ffff0000000100000000"},
	} {
		var buf [10]byte
		if got := appendADLength(buf[:0], tc.n); !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("l(a) = %#x: encoded %x, want %s", tc.n, got, tc.want)
		}
	}
}

// TestAllocs checks that Seal and Open, in place or into a buffer with room,
// do not allocate.
func TestAllocs(t *testing.T) {
	for _, tagSize := range []int{16, 8} {
		aead := newAEAD(t, unhex(dtlsKey128), tagSize, 12)
		nonce, ad := unhex(dtlsNonce), dtlsAD
		buf := make([]byte, 1000, 1000+tagSize)
		out := make([]byte, 0, 1000+tagSize)
		n := testing.AllocsPerRun(100, func() {
			sealed := aead.Seal(buf[:0], nonce, buf, ad)
			if _, err := aead.Open(sealed[:0], nonce, sealed, ad); err != nil {
				t.Fatal(err)
			}
			sealed = aead.Seal(out, nonce, buf, ad)
			if _, err := aead.Open(buf[:0], nonce, sealed, ad); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("M %d: Seal and Open allocate %v times", tagSize, n)
		}
	}
}

// TestConcurrent uses one AEAD from several goroutines, which then contend
// for its spare state; run it with -race.
func TestConcurrent(t *testing.T) {
	aead := newAEAD(t, unhex(dtlsKey128), 16, 12)
	nonce := unhex(dtlsNonce)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			plaintext := bytes.Repeat([]byte{byte(g)}, 200+g)
			for range 200 {
				sealed := aead.Seal(nil, nonce, plaintext, dtlsAD)
				opened, err := aead.Open(nil, nonce, sealed, dtlsAD)
				if err != nil || !bytes.Equal(opened, plaintext) {
					errs <- fmt.Errorf("goroutine %d: Open = %x, %v", g, opened, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
