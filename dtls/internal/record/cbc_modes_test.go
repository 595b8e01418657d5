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
