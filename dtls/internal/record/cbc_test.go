package record

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// The expected fragments are the IV followed by the output of OpenSSL on
// content || MAC || padding, where the MAC comes from OpenSSL too:
//
//	printf %s EPOCH SEQ TYPE VERSION LENGTH CONTENT | xxd -r -p > macin.bin
//	openssl mac -digest SHA1 -macopt hexkey:MAC_KEY -in macin.bin HMAC
//	printf %s CONTENT MAC PADDING | xxd -r -p > encin.bin
//	openssl enc -aes-128-cbc -nopad -K ENC_KEY -iv IV -in encin.bin | xxd -p
//
// (-aes-256-cbc for the 32-byte key), PADDING being the least that fills a
// block.
var cbcKATs = []struct {
	name           string
	encKey, macKey string
	iv             string
	h              Header
	content        []byte
	mac            string // for the record; the test checks it
	fragment       string
}{
	{
		name:     "AES-128/13 bytes of padding",
		encKey:   "000102030405060708090a0b0c0d0e0f",
		macKey:   "101112131415161718191a1b1c1d1e1f20212223",
		iv:       "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		h:        Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 7},
		content:  []byte("hello, pathdtls"),
		mac:      "96171941af048a1c3035b544e5974cf87953d71e",
		fragment: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" + "f3d42a62f40c86659d91f98d465736db9ff85e2d123d3afe03236a11bc7997ef82846c38241fbccf3bd1ee3e2e6a138f",
	},
	{
		name:     "AES-128/empty content",
		encKey:   "000102030405060708090a0b0c0d0e0f",
		macKey:   "101112131415161718191a1b1c1d1e1f20212223",
		iv:       "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
		h:        Header{Type: Handshake, Version: VersionDTLS12, Epoch: 1, Seq: 0},
		content:  nil,
		mac:      "9b49acbb4118ea34e9bc3f6d0a9925f4e483b917",
		fragment: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf" + "55ae591706c1ead28ea3b6a166adbd952d4a3ae1e06474ddf30037b2fdf7c927",
	},
	{
		name:     "AES-256/DTLS 1.0/a block of padding",
		encKey:   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		macKey:   "303132333435363738393a3b3c3d3e3f40414243",
		iv:       "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
		h:        Header{Type: ApplicationData, Version: VersionDTLS10, Epoch: 2, Seq: 0xdeadbeef},
		content:  bytesRange(44),
		mac:      "2ef6129440e0391d104a4809c433260feb063127",
		fragment: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf" + "ba7996615301d311228d94862a422af867828150fdacee2adebaeee8a78cbdd94ba0c223e61dc76d3723314969fd425b7057cad362ce84d51bb5ae2477d686fb1cca17a7afb875d82db611f7d4eeaaeb",
	},
}

func TestCBCSHA1KnownAnswers(t *testing.T) {
	for _, tt := range cbcKATs {
		t.Run(tt.name, func(t *testing.T) {
			encKey, macKey := mustHex(t, tt.encKey), mustHex(t, tt.macKey)
			if got := recordMAC(macKey, tt.h, tt.content); !bytes.Equal(got, mustHex(t, tt.mac)) {
				t.Fatalf("MAC = %x, want %s", got, tt.mac)
			}
			c, err := NewCBCSHA1(encKey, macKey, bytes.NewReader(mustHex(t, tt.iv)))
			if err != nil {
				t.Fatal(err)
			}
			want := mustHex(t, tt.fragment)
			got := c.Seal(nil, tt.h, tt.content)
			if !bytes.Equal(got, want) {
				t.Fatalf("Seal =\n%x, want\n%x", got, want)
			}
			opened, err := c.Open(tt.h, got)
			if err != nil || !bytes.Equal(opened, tt.content) {
				t.Fatalf("Open = %x, %v", opened, err)
			}
		})
	}
}

// recordMAC computes the MAC of RFC 6347, Section 4.1.2.1, independently of
// the code under test.
func recordMAC(key []byte, h Header, content []byte) []byte {
	m := hmac.New(sha1.New, key)
	m.Write([]byte{byte(h.Epoch >> 8), byte(h.Epoch)})
	m.Write([]byte{byte(h.Seq >> 40), byte(h.Seq >> 32), byte(h.Seq >> 24), byte(h.Seq >> 16), byte(h.Seq >> 8), byte(h.Seq)})
	m.Write([]byte{byte(h.Type), byte(h.Version >> 8), byte(h.Version)})
	m.Write([]byte{byte(len(content) >> 8), byte(len(content))})
	m.Write(content)
	return m.Sum(nil)
}

// rawCBC encrypts inner, which must be whole blocks, under the test key and
// a fixed IV, and returns the fragment: IV || ciphertext. The tests build
// inner by hand to get MACs and padding of their choosing.
func rawCBC(t *testing.T, inner []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	iv := bytes.Repeat([]byte{0x5a}, aes.BlockSize)
	out := append(iv, make([]byte, len(inner))...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out[aes.BlockSize:], inner)
	return out
}

// inner returns content || MAC(content) || padding.
func inner(content []byte, padding ...byte) []byte {
	b := append(bytes.Clone(content), recordMAC(testMACKey, testHeader, content)...)
	return append(b, padding...)
}

func pad(n int, value byte) []byte { return bytes.Repeat([]byte{value}, n) }

func TestCBCSHA1Padding(t *testing.T) {
	content15 := []byte("hello, pathdtls") // 15 + 20 = 35: 13 bytes of padding fill 3 blocks
	tests := []struct {
		name  string
		inner []byte
		ok    bool
	}{
		{"least padding", inner(content15, pad(13, 12)...), true},
		{"padding of 29", inner(content15, pad(29, 28)...), true},
		{"padding of 253", inner(content15, pad(253, 252)...), true},
		{"one byte of padding", inner(bytesRange(27), 0), true},
		{"256 bytes of padding", inner(bytesRange(28), pad(256, 255)...), true},
		{"empty content, padding up to the MAC", inner(nil, pad(28, 27)...), true},
		{"padding_length one too large", inner(content15, append(pad(12, 12), 13)...), false},
		{"padding_length one too small", inner(content15, append(pad(12, 12), 11)...), false},
		{"padding_length 255 in a short record", inner(content15, append(pad(12, 12), 255)...), false},
		{"padding_length 0, 12 bytes left over", inner(content15, append(pad(12, 12), 0)...), false},
		{"first padding byte wrong", inner(content15, append([]byte{13}, pad(12, 12)...)...), false},
		{"middle padding byte wrong", inner(content15, append(append(pad(6, 12), 0), pad(6, 12)...)...), false},
		{"padding byte wrong 255 from the end", inner(bytesRange(28), append([]byte{0}, pad(255, 255)...)...), false},
		{"padding into the MAC", inner(nil, pad(29, 28)...)[1:], false},
		{"padding over the whole record", pad(48, 47), false},
		{"MAC truncated by a byte", append(inner(content15)[:34], pad(14, 13)...), false},
		{"content and MAC shifted by a byte", append(inner(append(content15, 0))[:35], pad(13, 12)...), false},
	}
	c := newTestCBC(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.inner)%aes.BlockSize != 0 {
				t.Fatalf("bad test: %d bytes of content, MAC and padding", len(tt.inner))
			}
			_, err := c.Open(testHeader, rawCBC(t, tt.inner))
			if tt.ok && err != nil {
				t.Errorf("Open = %v, want success", err)
			}
			if !tt.ok && !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("Open = %v, want ErrBadRecordMAC", err)
			}
		})
	}
}

func TestCBCSHA1Tampering(t *testing.T) {
	c := newTestCBC(t, nil)
	content := []byte("sixteen bytes!!!")
	plain := inner(content, pad(12, 11)...) // 16 + 20 + 12 = 48
	fragment := rawCBC(t, plain)
	if got, err := openCopy(c, testHeader, fragment); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	// Every byte of the IV and the ciphertext.
	for i := range fragment {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			tampered := bytes.Clone(fragment)
			tampered[i] ^= flip
			if _, err := c.Open(testHeader, tampered); !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("fragment byte %d ^ %#x: Open = %v, want ErrBadRecordMAC", i, flip, err)
			}
		}
	}
	// Every byte of the content, the MAC and the padding, before encryption.
	for i := range plain {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			tampered := bytes.Clone(plain)
			tampered[i] ^= flip
			if _, err := c.Open(testHeader, rawCBC(t, tampered)); !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("plaintext byte %d ^ %#x: Open = %v, want ErrBadRecordMAC", i, flip, err)
			}
		}
	}
	// Every header field the MAC covers.
	for _, h := range tamperedHeaders(testHeader) {
		if _, err := openCopy(c, h, fragment); !errors.Is(err, ErrBadRecordMAC) {
			t.Errorf("header %+v: Open = %v, want ErrBadRecordMAC", h, err)
		}
	}
}

func TestCBCSHA1BadLengths(t *testing.T) {
	c := newTestCBC(t, nil)
	// Shorter than IV + MAC + 1 byte of padding, rounded up to blocks (48).
	for n := range 48 {
		if _, err := c.Open(testHeader, testPlaintext(n)); !errors.Is(err, ErrBadRecordMAC) {
			t.Errorf("%d-byte fragment: Open = %v, want ErrBadRecordMAC", n, err)
		}
	}
	// Not whole blocks after the IV.
	valid := rawCBC(t, inner(bytesRange(27), 0))
	for _, n := range []int{49, 50, 56, 63, 65, 79} {
		fragment := append(bytes.Clone(valid), make([]byte, 80)...)[:n]
		if _, err := c.Open(testHeader, fragment); !errors.Is(err, ErrBadRecordMAC) {
			t.Errorf("%d-byte fragment: Open = %v, want ErrBadRecordMAC", n, err)
		}
	}
	if _, err := openCopy(c, testHeader, valid); err != nil {
		t.Errorf("Open of the valid record = %v", err)
	}
}

func TestCBCSHA1RandomIVs(t *testing.T) {
	c := newTestCBC(t, nil)
	a := sealRecord(c, testHeader, []byte("same"))
	b := sealRecord(c, testHeader, []byte("same"))
	if bytes.Equal(a[:aes.BlockSize], b[:aes.BlockSize]) {
		t.Errorf("two records got the same IV %x", a[:aes.BlockSize])
	}
}

// TestCBCSHA1FailingRand checks the IV that Seal falls back to when its
// random source fails: AES of epoch || seq || zeros, which RFC 4346
// allows as any unpredictable IV.
func TestCBCSHA1FailingRand(t *testing.T) {
	c := newTestCBC(t, iotest.ErrReader(io.ErrUnexpectedEOF))
	block, err := aes.NewCipher(testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	h := Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 0x0102, Seq: 0x030405060708}
	want := mustHex(t, "0102030405060708"+"0000000000000000")
	block.Encrypt(want, want)
	fragment := sealRecord(c, h, []byte("data"))
	if !bytes.Equal(fragment[:aes.BlockSize], want) {
		t.Errorf("IV = %x, want %x", fragment[:aes.BlockSize], want)
	}
	if got, err := c.Open(h, fragment); err != nil || string(got) != "data" {
		t.Errorf("Open = %q, %v", got, err)
	}
}

// TestCheckPadding compares checkPadding with a plain reading of RFC 4346,
// Section 6.2.3.2, for every padding_length byte in bodies of several
// lengths, with the padding intact or with one byte changed.
func TestCheckPadding(t *testing.T) {
	for _, bodyLen := range []int{32, 48, 272, 288, 400} {
		for last := range 256 {
			for corrupt := -1; corrupt <= last; corrupt += max(1, last/7) {
				body := testPlaintext(bodyLen)
				for i := 1; i <= min(last+1, bodyLen); i++ {
					body[bodyLen-i] = byte(last)
				}
				if corrupt >= 0 && corrupt < bodyLen {
					body[bodyLen-1-corrupt] ^= 0x40
				}
				wantLen, wantGood := referencePadding(body)
				gotLen, gotGood := checkPadding(body)
				if gotLen != wantLen || gotGood != wantGood {
					t.Fatalf("len %d, last %d, corrupt %d: checkPadding = %d, %d; want %d, %d",
						bodyLen, last, corrupt, gotLen, gotGood, wantLen, wantGood)
				}
			}
		}
	}
}

func referencePadding(body []byte) (int, int) {
	n := int(body[len(body)-1]) + 1
	if n+cbcMACLen > len(body) {
		return 0, 0
	}
	for _, b := range body[len(body)-n:] {
		if b != byte(n-1) {
			return 0, 0
		}
	}
	return n, 1
}

func TestCopyMAC(t *testing.T) {
	for _, bodyLen := range []int{32, 48, 64, 272, 288, 1024} {
		body := testPlaintext(bodyLen)
		for start := max(0, bodyLen-cbcMACLen-cbcMaxPad); start <= bodyLen-cbcMACLen; start++ {
			var got [cbcMACLen]byte
			copyMAC(&got, body, start)
			if !bytes.Equal(got[:], body[start:start+cbcMACLen]) {
				t.Fatalf("len %d, start %d: copyMAC = %x, want %x", bodyLen, start, got, body[start:start+cbcMACLen])
			}
		}
	}
}

// FuzzOpenCBCSHA1 checks that Open never panics, and that the only
// fragments that authenticate are those Seal produces: the seeds are real
// records, and no mutation of them may open.
func FuzzOpenCBCSHA1(f *testing.F) {
	c := newTestCBC(f, nil).(*cbcCipher)
	for _, n := range []int{0, 1, 11, 12, 27, 100} {
		h := testHeader
		h.Seq += uint64(n)
		f.Add(uint8(h.Type), h.Version, h.Epoch, h.Seq, sealRecord(c, h, testPlaintext(n)))
	}
	f.Add(uint8(ApplicationData), VersionDTLS10, uint16(1), uint64(0), make([]byte, 48))

	f.Fuzz(func(t *testing.T, typ uint8, version, epoch uint16, seq uint64, fragment []byte) {
		h := Header{Type: ContentType(typ), Version: version, Epoch: epoch, Seq: seq & MaxSeq}
		original := bytes.Clone(fragment)
		plaintext, err := c.Open(h, fragment)
		if err != nil {
			if !errors.Is(err, ErrBadRecordMAC) {
				t.Fatalf("Open = %v, want ErrBadRecordMAC", err)
			}
			return
		}
		// Re-seal with the record's IV: an authentic record has the least
		// padding, as Seal writes it.
		c.rand = bytes.NewReader(original[:aes.BlockSize])
		resealed := c.Seal(nil, h, plaintext)
		if !bytes.Equal(resealed, original) {
			t.Fatalf("forged fragment %x opened", original)
		}
	})
}
