package record

import (
	"bytes"
	"crypto/aes"
	"errors"
	"testing"
)

// roundTripLengths are the plaintext lengths of the round-trip tests beyond
// 0 to 100.
var roundTripLengths = []int{127, 128, 255, 256, 257, 1000, 1200, 1400, 4096, MaxPlaintext - 1, MaxPlaintext}

func TestSealOpenRoundTrip(t *testing.T) {
	lengths := roundTripLengths
	for n := 100; n >= 0; n-- {
		lengths = append([]int{n}, lengths...)
	}
	for _, cc := range cipherCases {
		t.Run(cc.name, func(t *testing.T) {
			sealer, opener := cc.new(t), cc.new(t)
			h := testHeader
			for _, n := range lengths {
				h.Seq++
				plaintext := testPlaintext(n)
				prefix := []byte("previous record")
				datagram := AppendRecord(bytes.Clone(prefix), h, plaintext, sealer)
				if !bytes.HasPrefix(datagram, prefix) {
					t.Fatalf("n=%d: AppendRecord overwrote dst", n)
				}
				got, fragment, rest, ok := Split(datagram[len(prefix):])
				if !ok || len(rest) != 0 {
					t.Fatalf("n=%d: Split = %v, %d bytes left", n, ok, len(rest))
				}
				want := h
				want.Length = uint16(sealer.SealedLen(n))
				if got != want || len(fragment) != int(want.Length) {
					t.Fatalf("n=%d: header %+v, want %+v", n, got, want)
				}
				opened, err := opener.Open(got, fragment)
				if err != nil {
					t.Fatalf("n=%d: Open: %v", n, err)
				}
				if !bytes.Equal(opened, plaintext) {
					t.Fatalf("n=%d: Open = %x, want %x", n, opened, plaintext)
				}
			}
		})
	}
}

// TestSealAppendsInPlace checks that Seal appends in place when dst has
// room, and that it leaves dst's bytes alone.
func TestSealAppendsInPlace(t *testing.T) {
	for _, cc := range cipherCases {
		t.Run(cc.name, func(t *testing.T) {
			c := cc.new(t)
			plaintext := testPlaintext(300)
			buf := make([]byte, 3, 3+c.SealedLen(len(plaintext)))
			copy(buf, "abc")
			out := c.Seal(buf, testHeader, plaintext)
			if &out[0] != &buf[0] || string(out[:3]) != "abc" {
				t.Errorf("Seal did not append to dst in place")
			}
			if len(out) != 3+c.SealedLen(len(plaintext)) {
				t.Errorf("Seal wrote %d bytes, SealedLen says %d", len(out)-3, c.SealedLen(len(plaintext)))
			}
		})
	}
}

// TestMaxPlaintext checks MaxPlaintext against SealedLen and Seal for every
// space up to 2000 bytes and around MaxCiphertext: the largest plaintext
// fits, one byte more does not, and Seal makes records of SealedLen bytes.
func TestMaxPlaintext(t *testing.T) {
	for _, cc := range cipherCases {
		t.Run(cc.name, func(t *testing.T) {
			c := cc.new(t)
			spaces := []int{MaxCiphertext - 1, MaxCiphertext, MaxCiphertext + 1}
			for space := range 2001 {
				spaces = append(spaces, space)
			}
			for _, space := range spaces {
				n := c.MaxPlaintext(space)
				if n < 0 || n > MaxPlaintext {
					t.Fatalf("space %d: MaxPlaintext = %d", space, n)
				}
				if sealed := c.SealedLen(n); sealed > space {
					if n != 0 {
						t.Fatalf("space %d: MaxPlaintext = %d, which seals to %d", space, n, sealed)
					}
					continue // nothing fits
				}
				if sealed := c.SealedLen(n + 1); sealed <= space && n < MaxPlaintext {
					t.Fatalf("space %d: MaxPlaintext = %d, but %d bytes seal to %d", space, n, n+1, sealed)
				}
				if got := len(c.Seal(nil, testHeader, testPlaintext(n))); got != c.SealedLen(n) {
					t.Fatalf("space %d: a %d-byte plaintext sealed to %d bytes, SealedLen says %d", space, n, got, c.SealedLen(n))
				}
			}
			for _, space := range []int{-1, -100} {
				if n := c.MaxPlaintext(space); n != 0 {
					t.Errorf("MaxPlaintext(%d) = %d, want 0", space, n)
				}
			}
			for _, space := range []int{MaxCiphertext, MaxCiphertext * 4} {
				if n := c.MaxPlaintext(space); n != MaxPlaintext {
					t.Errorf("MaxPlaintext(%d) = %d, want MaxPlaintext", space, n)
				}
			}
			if sealed := c.SealedLen(MaxPlaintext); sealed > MaxCiphertext {
				t.Errorf("SealedLen(MaxPlaintext) = %d, above MaxCiphertext", sealed)
			}
		})
	}
}

// TestOpenWrongKey checks that a record sealed under other keys does not
// open.
func TestOpenWrongKey(t *testing.T) {
	otherGCM, err := NewAESGCM([]byte("fedcba9876543210"), testFixedIV)
	if err != nil {
		t.Fatal(err)
	}
	otherCBC, err := NewCBCSHA1(testAESKey, []byte("other MAC key of 20b"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		sealer, opener Cipher
	}{
		{"AESGCM", otherGCM, newTestGCM(t)},
		{"CBCSHA1", otherCBC, newTestCBC(t, nil)},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 1, 100} {
			fragment := sealRecord(tt.sealer, testHeader, testPlaintext(n))
			if _, err := tt.opener.Open(testHeader, fragment); !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("%s, n=%d: Open = %v, want ErrBadRecordMAC", tt.name, n, err)
			}
		}
	}
}

// TestOpenTampering changes every byte of a fragment, every header field
// that the MAC or the additional data covers, and the fragment's length:
// the record must then fail to authenticate.
func TestOpenTampering(t *testing.T) {
	for _, cc := range cipherCases[1:] { // all but Null
		t.Run(cc.name, func(t *testing.T) {
			c := cc.new(t)
			content := []byte("sixteen bytes!!!")
			fragment := sealRecord(c, testHeader, content)
			for i := range fragment {
				for _, flip := range []byte{0x01, 0x80, 0xff} {
					tampered := bytes.Clone(fragment)
					tampered[i] ^= flip
					if _, err := c.Open(testHeader, tampered); !errors.Is(err, ErrBadRecordMAC) {
						t.Errorf("fragment byte %d ^ %#x: Open = %v, want ErrBadRecordMAC", i, flip, err)
					}
				}
			}
			for _, h := range tamperedHeaders(testHeader) {
				if _, err := openCopy(c, h, fragment); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("header %+v: Open = %v, want ErrBadRecordMAC", h, err)
				}
			}
			for n := range len(fragment) {
				if _, err := openCopy(c, testHeader, fragment[:n]); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("%d-byte prefix: Open = %v, want ErrBadRecordMAC", n, err)
				}
			}
			for _, extra := range []int{1, aes.BlockSize, 20, 32} { // a byte, a block, a MAC
				extended := append(bytes.Clone(fragment), make([]byte, extra)...)
				if _, err := c.Open(testHeader, extended); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("%d bytes more: Open = %v, want ErrBadRecordMAC", extra, err)
				}
			}
			if got, err := openCopy(c, testHeader, fragment); err != nil || !bytes.Equal(got, content) {
				t.Errorf("the untouched fragment: Open = %q, %v", got, err)
			}
		})
	}
}

func TestZeroAllocs(t *testing.T) {
	for _, cc := range cipherCases {
		for _, n := range []int{0, 100, 1000} {
			sealer, opener := cc.new(t), cc.new(t)
			plaintext := testPlaintext(n)
			buf := make([]byte, 0, HeaderLen+sealer.SealedLen(n))
			h := testHeader
			allocs := testing.AllocsPerRun(100, func() {
				h.Seq++
				datagram := AppendRecord(buf, h, plaintext, sealer)
				got, fragment, _, ok := Split(datagram)
				if !ok {
					t.Fatal("Split failed")
				}
				if _, err := opener.Open(got, fragment); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, n=%d: AppendRecord, Split and Open allocate %v times", cc.name, n, allocs)
			}
		}
	}
}

func TestNull(t *testing.T) {
	c := NewNull()
	h := Header{Type: Handshake, Version: VersionDTLS10, Seq: 9}
	want := mustHex(t, "16feff0000000000000009"+"0003"+"010203")
	got := AppendRecord(nil, h, []byte{1, 2, 3}, c)
	if !bytes.Equal(got, want) {
		t.Errorf("AppendRecord = %x, want %x", got, want)
	}
	fragment := []byte{4, 5}
	if opened, err := c.Open(h, fragment); err != nil || &opened[0] != &fragment[0] || len(opened) != 2 {
		t.Errorf("Open = %x, %v; want the fragment itself", opened, err)
	}
}

func TestConstructorErrors(t *testing.T) {
	key16, key24, key32 := make([]byte, 16), make([]byte, 24), make([]byte, 32)
	mac20 := make([]byte, 20)
	gcmTests := []struct {
		key, iv []byte
		ok      bool
	}{
		{key16, make([]byte, 4), true},
		{key32, make([]byte, 4), true},
		{key24, make([]byte, 4), false},
		{nil, make([]byte, 4), false},
		{key16, make([]byte, 3), false},
		{key16, make([]byte, 12), false},
		{key16, nil, false},
	}
	for _, tt := range gcmTests {
		c, err := NewAESGCM(tt.key, tt.iv)
		if (err == nil) != tt.ok || (c == nil) == tt.ok {
			t.Errorf("NewAESGCM(%d-byte key, %d-byte IV) = %v, %v", len(tt.key), len(tt.iv), c, err)
		}
	}
	cbcTests := []struct {
		enc, mac []byte
		ok       bool
	}{
		{key16, mac20, true},
		{key32, mac20, true},
		{key24, mac20, false},
		{make([]byte, 15), mac20, false},
		{key16, make([]byte, 32), false},
		{key16, nil, false},
	}
	for _, tt := range cbcTests {
		c, err := NewCBCSHA1(tt.enc, tt.mac, nil)
		if (err == nil) != tt.ok || (c == nil) == tt.ok {
			t.Errorf("NewCBCSHA1(%d-byte key, %d-byte MAC key) = %v, %v", len(tt.enc), len(tt.mac), c, err)
		}
	}
}
