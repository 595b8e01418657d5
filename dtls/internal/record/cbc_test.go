package record

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"errors"
	"hash"
	"io"
	"testing"
	"testing/iotest"
)

// cbcVariant is one of the four AES-CBC ciphers: HMAC-SHA1 or HMAC-SHA256,
// MAC then encrypt or encrypt then MAC. Every CBC test runs for each.
type cbcVariant struct {
	name   string
	hash   crypto.Hash
	etm    bool
	macKey []byte // the test MAC key of the hash's length
}

// testMACKey32 is the test key of HMAC-SHA256.
var testMACKey32 = []byte("MAC key of thirty-two bytes, ok!")

var cbcVariants = []cbcVariant{
	{"SHA1-MtE", crypto.SHA1, false, testMACKey},
	{"SHA256-MtE", crypto.SHA256, false, testMACKey32},
	{"SHA1-EtM", crypto.SHA1, true, testMACKey},
	{"SHA256-EtM", crypto.SHA256, true, testMACKey32},
}

// new returns the variant's cipher with the test keys, drawing IVs from
// rand.
func (v cbcVariant) new(tb testing.TB, rand io.Reader) *cbcCipher {
	tb.Helper()
	c, err := NewCBC(testAESKey, v.macKey, v.hash, v.etm, rand)
	if err != nil {
		tb.Fatal(err)
	}
	return c.(*cbcCipher)
}

// innerMAC returns the number of MAC bytes inside the encryption.
func (v cbcVariant) innerMAC() int {
	if v.etm {
		return 0
	}
	return v.hash.Size()
}

// ref returns the variant's reference builder with the test keys and IV.
func (v cbcVariant) ref() refCBC {
	return refCBC{hash: v.hash, etm: v.etm, encKey: testAESKey, macKey: v.macKey, iv: testCBCIV}
}

// testCBCIV is the IV of the records the tests build by hand.
var testCBCIV = bytes.Repeat([]byte{0x5a}, aes.BlockSize)

// refCBC builds AES-CBC records by hand with crypto/aes, crypto/cipher and
// crypto/hmac, independently of the code under test:
//
//	MAC then encrypt: IV || CBC(plain || HMAC(macInput(len(plain)) || plain) || padding)
//	Encrypt-then-MAC: IV || C || HMAC(macInput(len(IV || C)) || IV || C),
//	                  where C = CBC(plain || padding)
type refCBC struct {
	hash           crypto.Hash
	etm            bool
	encKey, macKey []byte
	iv             []byte
}

// record returns the fragment of plain with the given padding bytes, or
// the least padding if padding is nil. edit, if not nil, changes the bytes
// to encrypt before they are encrypted: plain, the MAC if it is inside, and
// the padding.
func (r refCBC) record(tb testing.TB, macInput func(n int) []byte, plain, padding []byte, edit func([]byte) []byte) []byte {
	tb.Helper()
	body := bytes.Clone(plain)
	if !r.etm {
		body = append(body, r.mac(macInput(len(plain)), plain)...)
	}
	if padding == nil {
		p := aes.BlockSize - len(body)%aes.BlockSize
		padding = bytes.Repeat([]byte{byte(p - 1)}, p)
	}
	body = append(body, padding...)
	if edit != nil {
		body = edit(body)
	}
	if len(body)%aes.BlockSize != 0 {
		tb.Fatalf("bad test: %d bytes to encrypt", len(body))
	}
	block, err := aes.NewCipher(r.encKey)
	if err != nil {
		tb.Fatal(err)
	}
	fragment := append(bytes.Clone(r.iv), make([]byte, len(body))...)
	cipher.NewCBCEncrypter(block, r.iv).CryptBlocks(fragment[aes.BlockSize:], body)
	if r.etm {
		fragment = append(fragment, r.mac(macInput(len(fragment)), fragment)...)
	}
	return fragment
}

func (r refCBC) mac(parts ...[]byte) []byte {
	m := hmac.New(r.hash.New, r.macKey)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// refAD returns the MAC input of RFC 6347, Section 4.1.2.1, for records
// with header h, written out by hand:
//
//	epoch(2) || sequence_number(6) || type(1) || version(2) || length(2)
func refAD(h Header) func(n int) []byte {
	return func(n int) []byte {
		return []byte{
			byte(h.Epoch >> 8), byte(h.Epoch),
			byte(h.Seq >> 40), byte(h.Seq >> 32), byte(h.Seq >> 24), byte(h.Seq >> 16), byte(h.Seq >> 8), byte(h.Seq),
			byte(h.Type), byte(h.Version >> 8), byte(h.Version),
			byte(n >> 8), byte(n),
		}
	}
}

// refCIDAD returns the MAC input of RFC 9146, Sections 5.1 and 5.2, for
// records with header h, written out by hand; n is the length of the
// DTLSInnerPlaintext (Section 5.1) or of the IV and ciphertext (5.2).
func refCIDAD(h CIDHeader) func(n int) []byte {
	return func(n int) []byte {
		b := bytes.Repeat([]byte{0xff}, 8)
		b = append(b, 25, byte(len(h.CID)), 25, byte(h.Version>>8), byte(h.Version))
		b = append(b, byte(h.Epoch>>8), byte(h.Epoch))
		b = append(b, byte(h.Seq>>40), byte(h.Seq>>32), byte(h.Seq>>24), byte(h.Seq>>16), byte(h.Seq>>8), byte(h.Seq))
		b = append(b, h.CID...)
		return append(b, byte(n>>8), byte(n))
	}
}

// The expected fragments are the IV followed by the output of OpenSSL on
// content || MAC || padding, where the MAC comes from OpenSSL too:
//
//	printf %s EPOCH SEQ TYPE VERSION LENGTH CONTENT | xxd -r -p > macin.bin
//	openssl mac -digest SHA1 -macopt hexkey:MAC_KEY -in macin.bin HMAC
//	printf %s CONTENT MAC PADDING | xxd -r -p > encin.bin
//	openssl enc -aes-128-cbc -nopad -K ENC_KEY -iv IV -in encin.bin | xxd -p
//
// (-aes-256-cbc for the 32-byte key), PADDING being the least that fills a
// block. cbcKATs in cbc_kat_test.go has the other variants.
var cbcSHA1KATs = []struct {
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
	for _, tt := range cbcSHA1KATs {
		t.Run(tt.name, func(t *testing.T) {
			encKey, macKey := mustHex(t, tt.encKey), mustHex(t, tt.macKey)
			ref := refCBC{hash: crypto.SHA1, macKey: macKey}
			if got := ref.mac(refAD(tt.h)(len(tt.content)), tt.content); !bytes.Equal(got, mustHex(t, tt.mac)) {
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

// Expected outcomes of cbcPaddingTests, for each kind of variant.
const (
	notApplicable = iota
	opens
	fails
)

// cbcPaddingTests are records built by hand with the padding of their
// choosing. Each builds its content and padding for m, the number of MAC
// bytes inside the encryption (20 or 32 with MAC then encrypt, 0 with
// Encrypt-then-MAC), so that the same bytes fall at the same place from the
// end in every variant. The MAC is always the right one for the content and
// header, so with Encrypt-then-MAC only the padding check can fail.
var cbcPaddingTests = []struct {
	name     string
	build    func(m int) (content, padding []byte)
	edit     func(m int, body []byte) []byte // of the bytes to encrypt, if not nil
	mte, etm int
}{
	{"no padding", func(m int) ([]byte, []byte) { return fill(m, 0), []byte{} }, nil, fails, fails},
	{"least padding", func(m int) ([]byte, []byte) { return fill(m, 13), padBytes(13) }, nil, opens, opens},
	{"padding of 29", func(m int) ([]byte, []byte) { return fill(m, 29), padBytes(29) }, nil, opens, opens},
	{"padding of 253", func(m int) ([]byte, []byte) { return fill(m, 253), padBytes(253) }, nil, opens, opens},
	{"one byte of padding", func(m int) ([]byte, []byte) { return fill(m, 1), padBytes(1) }, nil, opens, opens},
	{"256 bytes of padding", func(m int) ([]byte, []byte) { return fill(m, 256), padBytes(256) }, nil, opens, opens},
	{"empty content, padding fills the rest", func(m int) ([]byte, []byte) { return nil, padBytes(32 - m%16) }, nil, opens, opens},
	{"padding_length one too large", func(m int) ([]byte, []byte) { return fill(m, 13), withLast(padBytes(13), 13) }, nil, fails, fails},
	{"padding_length one too small", func(m int) ([]byte, []byte) { return fill(m, 13), withLast(padBytes(13), 11) }, nil, fails, fails},
	{"padding_length 255 in a short record", func(m int) ([]byte, []byte) { return fill(m, 13), withLast(padBytes(13), 255) }, nil, fails, fails},
	// The sender may have meant 12 bytes of 0x0c as content: only the MAC
	// over the plaintext tells.
	{"padding_length 0, 12 bytes left over", func(m int) ([]byte, []byte) { return fill(m, 13), withLast(padBytes(13), 0) }, nil, fails, opens},
	{"first padding byte wrong", func(m int) ([]byte, []byte) { return fill(m, 13), withByte(padBytes(13), 0, 13) }, nil, fails, fails},
	{"middle padding byte wrong", func(m int) ([]byte, []byte) { return fill(m, 13), withByte(padBytes(13), 6, 0) }, nil, fails, fails},
	{"padding byte wrong 255 from the end", func(m int) ([]byte, []byte) { return fill(m, 256), withByte(padBytes(256), 0, 0) }, nil, fails, fails},
	{"padding_length past the body", func(m int) ([]byte, []byte) { return bytesRange(15 - m%16), []byte{byte(16 + m)} }, nil, fails, fails},
	{"padding over the whole body", func(int) ([]byte, []byte) { return nil, nil }, func(int, []byte) []byte { return padBytes(64) }, fails, opens},
	// The last MAC byte removed and one more byte of padding, so that the
	// receiver finds the MAC one byte too early; then the first MAC byte
	// removed from a record without content, so that the padding reaches
	// into the MAC; then a byte of content more.
	{"MAC truncated by a byte", func(m int) ([]byte, []byte) { return fill(m, 13), padBytes(14) }, dropLastMACByte(14), fails, notApplicable},
	{"padding into the MAC", func(m int) ([]byte, []byte) { return nil, padBytes(16 + mod(1-m, 16)) }, dropFirstByte, fails, notApplicable},
	{"content and MAC shifted by a byte", func(m int) ([]byte, []byte) { return append(fill(m, 13), 0), padBytes(13) }, dropLastMACByte(13), fails, notApplicable},
}

// fill returns content of 16 to 31 bytes, so that content, m bytes of MAC
// and p bytes of padding fill whole blocks.
func fill(m, p int) []byte { return testPlaintext(16 + mod(-(m+p), 16)) }

func mod(a, b int) int { return (a%b + b) % b }

// padBytes returns p bytes of padding: p-1, p times.
func padBytes(p int) []byte { return bytes.Repeat([]byte{byte(p - 1)}, p) }

func withLast(b []byte, v byte) []byte { return withByte(b, len(b)-1, v) }

func withByte(b []byte, i int, v byte) []byte {
	b[i] = v
	return b
}

func dropFirstByte(_ int, body []byte) []byte { return body[1:] }

// dropLastMACByte returns an edit that removes the last MAC byte from
// content || MAC || padding, padLen being the padding's length.
func dropLastMACByte(padLen int) func(m int, body []byte) []byte {
	return func(_ int, body []byte) []byte {
		i := len(body) - padLen - 1
		return append(body[:i:i], body[i+1:]...)
	}
}

func TestCBCPadding(t *testing.T) {
	for _, v := range cbcVariants {
		c := v.new(t, nil)
		m := v.innerMAC()
		for _, tt := range cbcPaddingTests {
			want := tt.mte
			if v.etm {
				want = tt.etm
			}
			if want == notApplicable {
				continue
			}
			t.Run(v.name+"/"+tt.name, func(t *testing.T) {
				content, padding := tt.build(m)
				var edit func([]byte) []byte
				if tt.edit != nil {
					edit = func(body []byte) []byte { return tt.edit(m, body) }
				}
				fragment := v.ref().record(t, refAD(testHeader), content, padding, edit)
				got, err := c.Open(testHeader, fragment)
				switch {
				case want == fails && !errors.Is(err, ErrBadRecordMAC):
					t.Errorf("Open = %x, %v; want ErrBadRecordMAC", got, err)
				case want == opens && err != nil:
					t.Errorf("Open = %v, want success", err)
				case want == opens && tt.edit == nil && !bytes.Equal(got, unpadded(content, padding)):
					t.Errorf("Open = %x, want %x", got, unpadded(content, padding))
				}
			})
		}
	}
}

// unpadded returns what content || padding holds before the padding that
// its last byte announces.
func unpadded(content, padding []byte) []byte {
	b := append(bytes.Clone(content), padding...)
	return b[:len(b)-int(b[len(b)-1])-1]
}

// TestCBCHashesSameBytes checks that a MAC-then-encrypt Open feeds as many
// bytes to the hash whatever the padding, well formed or not, for records
// of one length (RFC 5246, Section 6.2.3.2).
func TestCBCHashesSameBytes(t *testing.T) {
	for _, v := range cbcVariants {
		if v.etm {
			continue
		}
		c := v.new(t, nil)
		var hashed int
		c.mac = hmac.New(func() hash.Hash { return countingHash{v.hash.New(), &hashed} }, v.macKey)
		const bodyLen = 320
		want := -1
		for p := 1; p <= cbcMaxPad && p <= bodyLen-v.hash.Size(); p++ {
			content := testPlaintext(bodyLen - v.hash.Size() - p)
			for _, padding := range [][]byte{padBytes(p), withByte(padBytes(p), 0, byte(p))} {
				hashed = 0
				c.Open(testHeader, v.ref().record(t, refAD(testHeader), content, padding, nil))
				if want < 0 {
					want = hashed
				}
				if hashed != want {
					t.Fatalf("%s, %d bytes of padding: %d bytes hashed, want %d", v.name, p, hashed, want)
				}
			}
		}
	}
}

// countingHash counts the bytes written to a hash.
type countingHash struct {
	hash.Hash
	n *int
}

func (h countingHash) Write(p []byte) (int, error) {
	*h.n += len(p)
	return h.Hash.Write(p)
}

// TestCBCPlaintextTampering changes the content, MAC and padding of
// MAC-then-encrypt records before encryption; TestOpenTampering changes the
// records themselves.
func TestCBCPlaintextTampering(t *testing.T) {
	for _, v := range cbcVariants {
		if !v.etm {
			t.Run(v.name, func(t *testing.T) {
				checkPlaintextTampering(t, v, v.new(t, nil), []byte("sixteen bytes!!!"))
			})
		}
	}
}

// checkPlaintextTampering changes every byte of the content, the MAC and
// the padding of a MAC-then-encrypt record before encryption.
func checkPlaintextTampering(t *testing.T, v cbcVariant, c *cbcCipher, content []byte) {
	t.Helper()
	for i := range c.SealedLen(len(content)) - aes.BlockSize {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			edit := func(body []byte) []byte {
				body[i] ^= flip
				return body
			}
			fragment := v.ref().record(t, refAD(testHeader), content, nil, edit)
			if _, err := c.Open(testHeader, fragment); !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("plaintext byte %d ^ %#x: Open = %v, want ErrBadRecordMAC", i, flip, err)
			}
		}
	}
}

// TestCBCBadLengths opens fragments of every length up to 200 bytes: none
// authenticates, and validLen accepts exactly the lengths of records.
func TestCBCBadLengths(t *testing.T) {
	for _, v := range cbcVariants {
		t.Run(v.name, func(t *testing.T) {
			c := v.new(t, nil)
			outer := v.hash.Size() - v.innerMAC()
			minLen := aes.BlockSize + (v.innerMAC()+aes.BlockSize)/aes.BlockSize*aes.BlockSize + outer
			for n := range 200 {
				want := n >= minLen && (n-outer)%aes.BlockSize == 0
				if got := c.validLen(make([]byte, n)); got != want {
					t.Errorf("validLen(%d bytes) = %v, want %v", n, got, want)
				}
				if _, err := c.Open(testHeader, testPlaintext(n)); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("%d-byte fragment: Open = %v, want ErrBadRecordMAC", n, err)
				}
			}
			if got := len(sealRecord(c, testHeader, nil)); got != minLen {
				t.Errorf("the shortest record has %d bytes, want %d", got, minLen)
			}
		})
	}
}

func TestCBCRandomIVs(t *testing.T) {
	for _, v := range cbcVariants {
		c := v.new(t, nil)
		a := sealRecord(c, testHeader, []byte("same"))
		b := sealRecord(c, testHeader, []byte("same"))
		if bytes.Equal(a[:aes.BlockSize], b[:aes.BlockSize]) {
			t.Errorf("%s: two records got the same IV %x", v.name, a[:aes.BlockSize])
		}
	}
}

// TestCBCFailingRand checks the IV that Seal falls back to when its random
// source fails: AES of epoch || seq || zeros, which RFC 4346 allows as any
// unpredictable IV.
func TestCBCFailingRand(t *testing.T) {
	block, err := aes.NewCipher(testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	h := Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 0x0102, Seq: 0x030405060708}
	want := mustHex(t, "0102030405060708"+"0000000000000000")
	block.Encrypt(want, want)
	for _, v := range cbcVariants {
		c := v.new(t, iotest.ErrReader(io.ErrUnexpectedEOF))
		fragment := sealRecord(c, h, []byte("data"))
		if !bytes.Equal(fragment[:aes.BlockSize], want) {
			t.Errorf("%s: IV = %x, want %x", v.name, fragment[:aes.BlockSize], want)
		}
		if got, err := c.Open(h, fragment); err != nil || string(got) != "data" {
			t.Errorf("%s: Open = %q, %v", v.name, got, err)
		}
	}
}

// TestCheckPadding compares checkPadding with a plain reading of RFC 4346,
// Section 6.2.3.2, for every padding_length byte in bodies of several
// lengths, with the padding intact or with one byte changed, and room for
// each MAC length inside the encryption.
func TestCheckPadding(t *testing.T) {
	for _, macLen := range []int{0, 20, 32} {
		for _, bodyLen := range []int{16, 32, 48, 272, 288, 400} {
			for last := range 256 {
				for corrupt := -1; corrupt <= last; corrupt += max(1, last/7) {
					body := testPlaintext(bodyLen)
					for i := 1; i <= min(last+1, bodyLen); i++ {
						body[bodyLen-i] = byte(last)
					}
					if corrupt >= 0 && corrupt < bodyLen {
						body[bodyLen-1-corrupt] ^= 0x40
					}
					wantLen, wantGood := referencePadding(body, macLen)
					gotLen, gotGood := checkPadding(body, macLen)
					if gotLen != wantLen || gotGood != wantGood {
						t.Fatalf("MAC %d, len %d, last %d, corrupt %d: checkPadding = %d, %d; want %d, %d",
							macLen, bodyLen, last, corrupt, gotLen, gotGood, wantLen, wantGood)
					}
				}
			}
		}
	}
}

func referencePadding(body []byte, macLen int) (int, int) {
	n := int(body[len(body)-1]) + 1
	if n+macLen > len(body) {
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
	for _, macLen := range []int{20, 32} {
		for _, bodyLen := range []int{32, 48, 64, 272, 288, 304, 1024} {
			body := testPlaintext(bodyLen)
			for start := max(0, bodyLen-macLen-cbcMaxPad); start <= bodyLen-macLen; start++ {
				got := make([]byte, macLen)
				copyMAC(got, body, start)
				if !bytes.Equal(got, body[start:start+macLen]) {
					t.Fatalf("MAC %d, len %d, start %d: copyMAC = %x, want %x",
						macLen, bodyLen, start, got, body[start:start+macLen])
				}
			}
		}
	}
}
