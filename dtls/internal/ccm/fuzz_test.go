package ccm

import (
	"bytes"
	"crypto/aes"
	"testing"
)

// FuzzCCM seals arbitrary messages under arbitrary parameters, checks the
// result against referenceSeal, that Open gives the message back, in place
// too, and that flipping any one bit of the sealed message, the nonce or the
// additional data makes Open fail.
//
// params picks the tag size (params%7), the nonce size (params/7%7) and the
// key size (params&0x80); key and nonce are cut or zero-padded to size; flip
// picks the bit to flip.
func FuzzCCM(f *testing.F) {
	for _, tc := range allKATs() {
		nonce := unhex(tc.nonce)
		params := byte((tc.tagSize-4)/2 + 7*(len(nonce)-7))
		if len(tc.key) == 64 {
			params |= 0x80
		}
		ad := tc.ad
		if len(ad) > 1024 {
			ad = ad[:1024]
		}
		f.Add(params, unhex(tc.key), nonce, ad, tc.plaintext, uint32(len(tc.plaintext)))
	}
	f.Fuzz(func(t *testing.T, params byte, key, nonce, ad, plaintext []byte, flip uint32) {
		tagSize, nonceSize, keySize := 4+2*int(params%7), 7+int(params/7%7), 16
		if params&0x80 != 0 {
			keySize = 32
		}
		key, nonce = fit(key, keySize), fit(nonce, nonceSize)
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		aead, err := New(block, tagSize, nonceSize)
		if err != nil {
			t.Fatal(err)
		}

		sealed := aead.Seal(nil, nonce, plaintext, ad)
		if want := referenceSeal(block, tagSize, nonce, plaintext, ad); !bytes.Equal(sealed, want) {
			t.Fatalf("Seal = %x, reference %x", sealed, want)
		}
		buf := append(make([]byte, 0, len(sealed)), plaintext...)
		if inPlace := aead.Seal(buf[:0], nonce, buf, ad); !bytes.Equal(inPlace, sealed) {
			t.Fatalf("in-place Seal = %x, want %x", inPlace, sealed)
		}
		opened, err := aead.Open(buf[:0], nonce, buf[:len(sealed)], ad)
		if err != nil || !bytes.Equal(opened, plaintext) {
			t.Fatalf("in-place Open = %x, %v", opened, err)
		}

		inputs := [][]byte{sealed, nonce, ad}
		bit := int(flip % uint32(8*(len(sealed)+len(nonce)+len(ad))))
		for _, in := range inputs {
			if bit < 8*len(in) {
				in[bit/8] ^= 1 << (bit % 8)
				break
			}
			bit -= 8 * len(in)
		}
		if got, err := aead.Open(nil, nonce, sealed, ad); err != errOpen || got != nil {
			t.Fatalf("Open after flipping bit %d = %x, %v", flip, got, err)
		}
	})
}

// fit returns b cut or zero-padded to n bytes, in a new array.
func fit(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}
