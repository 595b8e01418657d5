package record

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"errors"
	"testing"
)

// cbcRoundTripLengths returns the plaintext lengths of the CBC round trips:
// 0 to 300, then a block's length either side of every 16th block boundary
// up to 2^14.
func cbcRoundTripLengths() []int {
	var lengths []int
	for n := range 301 {
		lengths = append(lengths, n)
	}
	for b := 320; b <= MaxPlaintext; b += 16 * aes.BlockSize {
		lengths = append(lengths, b-17, b-16, b-15, b-1, b, b+1)
	}
	return append(lengths, MaxPlaintext-aes.BlockSize, MaxPlaintext-1, MaxPlaintext)
}

func TestCBCRoundTrip(t *testing.T) {
	for _, v := range cbcVariants {
		t.Run(v.name, func(t *testing.T) {
			sealer, opener := v.new(t, nil), v.new(t, nil)
			h := testHeader
			for _, n := range cbcRoundTripLengths() {
				n = min(n, MaxPlaintext)
				h.Seq++
				plaintext := testPlaintext(n)
				datagram := AppendRecord([]byte("previous"), h, plaintext, sealer)
				got, fragment, rest, ok := Split(datagram[len("previous"):])
				if !ok || len(rest) != 0 || len(fragment) != sealer.SealedLen(n) {
					t.Fatalf("n=%d: Split = %v, %d-byte fragment, %d bytes left", n, ok, len(fragment), len(rest))
				}
				if (len(fragment)-aes.BlockSize-sealer.outerMAC())%aes.BlockSize != 0 {
					t.Fatalf("n=%d: %d-byte fragment is not whole blocks", n, len(fragment))
				}
				opened, err := opener.Open(got, fragment)
				if err != nil || !bytes.Equal(opened, plaintext) {
					t.Fatalf("n=%d: Open = %d bytes, %v", n, len(opened), err)
				}
			}
		})
	}
}

// TestCBCMaxPlaintext checks MaxPlaintext against SealedLen and Seal for
// every space up to 2000 bytes and past MaxCiphertext: the largest
// plaintext fits, and one byte more does not.
func TestCBCMaxPlaintext(t *testing.T) {
	spaces := []int{-100, -1, MaxCiphertext - 1, MaxCiphertext, MaxCiphertext + 1, 4 * MaxCiphertext}
	for space := range 2001 {
		spaces = append(spaces, space)
	}
	for _, v := range cbcVariants {
		t.Run(v.name, func(t *testing.T) {
			c := v.new(t, nil)
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
			if n := c.MaxPlaintext(MaxCiphertext); n != MaxPlaintext {
				t.Errorf("MaxPlaintext(MaxCiphertext) = %d, want MaxPlaintext", n)
			}
		})
	}
}

// TestCBCWrongKeys checks that a record sealed under other keys, or by
// another variant, does not open. With Encrypt-then-MAC, the MAC key alone
// authenticates the ciphertext: a record sealed under the right MAC key and
// another encryption key may pass the MAC and, by chance, the padding
// check, but it then decrypts to noise.
func TestCBCWrongKeys(t *testing.T) {
	otherAES := []byte("fedcba9876543210")
	for _, v := range cbcVariants {
		otherMAC := bytes.Clone(v.macKey)
		otherMAC[0] ^= 1
		var sealers []CIDCipher
		for _, keys := range [][2][]byte{{otherAES, v.macKey}, {testAESKey, otherMAC}, {otherAES, otherMAC}} {
			c, err := NewCBC(keys[0], keys[1], v.hash, v.etm, nil)
			if err != nil {
				t.Fatal(err)
			}
			sealers = append(sealers, c.(CIDCipher))
		}
		for _, w := range cbcVariants {
			if w.name != v.name {
				sealers = append(sealers, w.new(t, nil))
			}
		}
		opener := v.new(t, nil)
		for i, sealer := range sealers {
			macAuthenticates := v.etm && i == 0
			for _, n := range []int{0, 1, 15, 16, 100} {
				content := testPlaintext(n)
				got, err := opener.Open(testHeader, sealRecord(sealer, testHeader, content))
				if !rejected(err, got, content, macAuthenticates) {
					t.Errorf("%s, sealer %d, n=%d: Open = %x, %v; want ErrBadRecordMAC", v.name, i, n, got, err)
				}
				withCID := sealer.SealCID(nil, testCIDHeader, ApplicationData, content, 1)
				got, _, err = opener.OpenCID(testCIDHeader, withCID)
				if !rejected(err, got, content, macAuthenticates) {
					t.Errorf("%s, sealer %d, n=%d: OpenCID = %x, %v; want ErrBadRecordMAC", v.name, i, n, got, err)
				}
			}
		}
	}
}

// rejected reports whether opening a record sealed under wrong keys came
// out as it should: ErrBadRecordMAC or, when the MAC authenticates, any
// other error or noise.
func rejected(err error, got, content []byte, macAuthenticates bool) bool {
	if errors.Is(err, ErrBadRecordMAC) {
		return true
	}
	return macAuthenticates && (err != nil || !bytes.Equal(got, content))
}

func TestCBCZeroAllocs(t *testing.T) {
	for _, v := range cbcVariants {
		for _, n := range []int{0, 100, 1000} {
			sealer, opener := v.new(t, nil), v.new(t, nil)
			plaintext := testPlaintext(n)
			buf := make([]byte, 0, testCIDHeader.Len()+sealer.SealedLen(n+8))
			h, hc := testHeader, testCIDHeader
			if allocs := testing.AllocsPerRun(100, func() { sealer.Seal(buf, h, plaintext) }); allocs != 0 {
				t.Errorf("%s, n=%d: Seal allocates %v times", v.name, n, allocs)
			}
			allocs := testing.AllocsPerRun(100, func() {
				h.Seq++
				got, fragment, _, ok := Split(AppendRecord(buf, h, plaintext, sealer))
				if _, err := opener.Open(got, fragment); !ok || err != nil {
					t.Fatalf("Split = %v, Open = %v", ok, err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, n=%d: AppendRecord, Split and Open allocate %v times", v.name, n, allocs)
			}
			allocs = testing.AllocsPerRun(100, func() {
				hc.Seq++
				got, fragment, _, ok := SplitCID(AppendCIDRecord(buf, hc, ApplicationData, plaintext, 7, sealer), len(testCID))
				if _, _, err := opener.OpenCID(got, fragment); !ok || err != nil {
					t.Fatalf("SplitCID = %v, OpenCID = %v", ok, err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, n=%d: AppendCIDRecord, SplitCID and OpenCID allocate %v times", v.name, n, allocs)
			}
		}
	}
}

func TestCBCCIDRoundTrip(t *testing.T) {
	lengths := []int{0, 1, 2, 14, 15, 16, 31, 32, 33, 100, 1000, MaxPlaintext - 2, MaxPlaintext - 1}
	paddings := []int{0, 1, 15, 16, 255}
	cids := [][]byte{{0x77}, testCID, bytes.Repeat([]byte{0x3c}, MaxCIDLen)}
	for _, v := range cbcVariants {
		t.Run(v.name, func(t *testing.T) {
			sealer, opener := v.new(t, nil), v.new(t, nil)
			h := testCIDHeader
			for _, cid := range cids {
				for _, n := range lengths {
					for _, padding := range paddings {
						h.Seq++
						h.CID = cid
						checkCIDRoundTrip(t, sealer, opener, h, n, min(padding, MaxPlaintext-1-n))
					}
				}
			}
		})
	}
}

// TestCBCCIDTampering changes every byte of a whole record with a CID,
// header and CID included, and every field OpenCID is given.
func TestCBCCIDTampering(t *testing.T) {
	for _, v := range cbcVariants {
		t.Run(v.name, func(t *testing.T) {
			c := v.new(t, nil)
			record := AppendCIDRecord(nil, testCIDHeader, ApplicationData, []byte("sixteen bytes!!!"), 5, c)
			for i := range record {
				for _, flip := range []byte{0x01, 0x80, 0xff} {
					tampered := bytes.Clone(record)
					tampered[i] ^= flip
					if err := splitOpen(c, tampered, len(testCID)); err == nil {
						t.Errorf("byte %d ^ %#x: the record opened", i, flip)
					}
				}
			}
			_, fragment, _, _ := SplitCID(record, len(testCID))
			for _, h := range tamperedCIDHeaders(testCIDHeader) {
				if _, _, err := c.OpenCID(h, bytes.Clone(fragment)); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("header %+v: OpenCID = %v, want ErrBadRecordMAC", h, err)
				}
			}
			for n := range len(fragment) {
				if _, _, err := c.OpenCID(testCIDHeader, bytes.Clone(fragment[:n])); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("%d-byte prefix: OpenCID = %v, want ErrBadRecordMAC", n, err)
				}
			}
			if err := splitOpen(c, record, len(testCID)); err != nil {
				t.Errorf("the untouched record: %v", err)
			}
		})
	}
}

// TestCBCCIDAndPlainRecordsApart checks that a record sealed without a CID
// does not open as one with a CID, and the other way round.
func TestCBCCIDAndPlainRecordsApart(t *testing.T) {
	h := Header{Type: ApplicationData, Version: testCIDHeader.Version, Epoch: testCIDHeader.Epoch, Seq: testCIDHeader.Seq}
	for _, v := range cbcVariants {
		c := v.new(t, nil)
		for _, n := range []int{0, 1, 100} {
			plain := c.Seal(nil, h, testPlaintext(n))
			if _, _, err := c.OpenCID(testCIDHeader, plain); !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("%s, n=%d: OpenCID of a record without a CID = %v", v.name, n, err)
			}
			withCID := c.SealCID(nil, testCIDHeader, ApplicationData, testPlaintext(n), 0)
			if _, err := c.Open(h, withCID); !errors.Is(err, ErrBadRecordMAC) {
				t.Errorf("%s, n=%d: Open of a record with a CID = %v", v.name, n, err)
			}
		}
	}
}

// TestCBCCIDInnerErrors checks what OpenCID does with authentic records
// whose DTLSInnerPlaintext is all zeros or longer than 2^14 bytes.
func TestCBCCIDInnerErrors(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		typ     ContentType
		padding int
		err     error
	}{
		{"all zeros", nil, 0, 5, ErrNoContentType},
		{"2^14 bytes", testPlaintext(MaxPlaintext - 1), ApplicationData, 0, nil},
		{"2^14+1 bytes", testPlaintext(MaxPlaintext), ApplicationData, 0, ErrRecordOverflow},
		{"2^14+1 bytes of padding", nil, ApplicationData, MaxPlaintext, ErrRecordOverflow},
	}
	for _, v := range cbcVariants {
		c := v.new(t, nil)
		for _, tt := range tests {
			fragment := c.SealCID(nil, testCIDHeader, tt.typ, tt.content, tt.padding)
			if _, _, err := c.OpenCID(testCIDHeader, fragment); err != tt.err {
				t.Errorf("%s, %s: OpenCID = %v, want %v", v.name, tt.name, err, tt.err)
			}
		}
	}
}

func TestNewCBCErrors(t *testing.T) {
	key16, key32 := make([]byte, 16), make([]byte, 32)
	mac20, mac32 := make([]byte, 20), make([]byte, 32)
	tests := []struct {
		enc, mac []byte
		hash     crypto.Hash
		ok       bool
	}{
		{key16, mac20, crypto.SHA1, true},
		{key32, mac32, crypto.SHA256, true},
		{key16, mac32, crypto.SHA256, true},
		{key16, mac32, crypto.SHA1, false},
		{key16, mac20, crypto.SHA256, false},
		{key16, make([]byte, 31), crypto.SHA256, false},
		{key16, make([]byte, 33), crypto.SHA256, false},
		{key16, nil, crypto.SHA256, false},
		{make([]byte, 24), mac32, crypto.SHA256, false},
		{nil, mac32, crypto.SHA256, false},
		{key16, make([]byte, 48), crypto.SHA384, false},
		{key16, make([]byte, 16), crypto.MD5, false},
		{key16, mac20, 0, false},
	}
	for _, tt := range tests {
		for _, etm := range []bool{false, true} {
			c, err := NewCBC(tt.enc, tt.mac, tt.hash, etm, nil)
			if (err == nil) != tt.ok || (c == nil) == tt.ok {
				t.Errorf("NewCBC(%d-byte key, %d-byte MAC key, %v, %v) = %v, %v", len(tt.enc), len(tt.mac), tt.hash, etm, c, err)
			}
		}
	}
	if c, err := NewCBCSHA256(key16, mac32, nil); err != nil || c.(*cbcCipher).macLen != 32 || c.(*cbcCipher).etm {
		t.Errorf("NewCBCSHA256 = %v, %v", c, err)
	}
	if c, err := NewCBCSHA256(key16, mac20, nil); err == nil {
		t.Errorf("NewCBCSHA256 with a 20-byte MAC key = %v, %v", c, err)
	}
}
