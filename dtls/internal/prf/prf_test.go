package prf

import (
	"bytes"
	"crypto"
	"encoding/hex"
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

// The expected outputs come from OpenSSL 3.0's TLS1-PRF, whose seed is the
// label followed by the seed, and whose digest MD5-SHA1 selects the TLS 1.0
// PRF. Each vector's comment gives the command, with <secret> and <seed>
// standing for the vector's hex fields.
var prfTests = []struct {
	name   string
	prf    Func
	secret string
	label  string
	seed   string
	want   string
}{
	{
		// openssl kdf -keylen 100 -kdfopt digest:MD5-SHA1 -kdfopt hexsecret:<secret>
		//   -kdfopt hexseed:74657374206c6162656c<seed> TLS1-PRF
		name:   "PRF10/48-byte secret/100 bytes",
		prf:    PRF10,
		secret: "0c6176102ad861eadca75f2faf1b8346fafb7506cf89ae6b505cd15b3afc4ab09319512c0192dc9175cb4556ebb8bf2e",
		label:  "test label",
		seed:   "f1fa8cd6a1aa94918f5ce126e89d6d6bfba5f7fd2af55eb06ecf1603b8dcf158ec8b58739488585ef8fd3ba8771a408bae6b248671c6a927b18ceae4f9586624",
		want:   "9bc683d1b099ff32ed4176613adbe05b2b09dc68901d5195c671016de1877e90fdbb484689f5673c5944980c1bab7e0533dae8b840c739d128a542e8f5d803d6a6922e002fe15d1487471a09835ef9ccd38fb009541b1c9283f46d145905cd64fd6ee767",
	},
	{
		// The odd-length secret makes the two halves share their middle byte.
		// openssl kdf -keylen 13 -kdfopt digest:MD5-SHA1 -kdfopt hexsecret:<secret>
		//   -kdfopt hexseed:6b657920657870616e73696f6e<seed> TLS1-PRF
		name:   "PRF10/13-byte secret/13 bytes",
		prf:    PRF10,
		secret: "f8f5c0b8ab2a8957bda5a366c9",
		label:  "key expansion",
		seed:   "d5e4f9c93e4f3ea90834022ea180c87336b127a801e9f5997f059b777e18cfaa",
		want:   "4492082902c119814c3e7509b8",
	},
	{
		// openssl kdf -keylen 64 -kdfopt digest:MD5-SHA1 -kdfopt hexsecret:01
		//   -kdfopt hexseed:78 TLS1-PRF
		name:   "PRF10/1-byte secret/empty seed",
		prf:    PRF10,
		secret: "01",
		label:  "x",
		want:   "439601c46ffbc79c80667a050b75b478d8afc63a20ff990c7233fddf272e0992dd9a44330a095ac2bf917e2bd44a9aea4aecb874ecc9272576e51f3771355b9b",
	},
	{
		// openssl kdf -keylen 100 -kdfopt digest:SHA256 -kdfopt hexsecret:<secret>
		//   -kdfopt hexseed:74657374206c6162656c<seed> TLS1-PRF
		name:   "SHA256/48-byte secret/100 bytes",
		prf:    PRF12(crypto.SHA256),
		secret: "0c6176102ad861eadca75f2faf1b8346fafb7506cf89ae6b505cd15b3afc4ab09319512c0192dc9175cb4556ebb8bf2e",
		label:  "test label",
		seed:   "f1fa8cd6a1aa94918f5ce126e89d6d6bfba5f7fd2af55eb06ecf1603b8dcf158ec8b58739488585ef8fd3ba8771a408bae6b248671c6a927b18ceae4f9586624",
		want:   "2902832b411a768a2c94d556337f0dcec1dcfd802fd75059948d76c3d30ae4b31da908aa85c8c0b442647763cb1fe4b01b15acbc06c9b288f70a2faf5b0247205a622903b6c6e5b8661ce1ca065ddfce758c19fc7b5649b2053cf3f28140d52c5d1d220e",
	},
	{
		// openssl kdf -keylen 13 -kdfopt digest:SHA256 -kdfopt hexsecret:<secret>
		//   -kdfopt hexseed:6b657920657870616e73696f6e<seed> TLS1-PRF
		name:   "SHA256/13-byte secret/13 bytes",
		prf:    PRF12(crypto.SHA256),
		secret: "f8f5c0b8ab2a8957bda5a366c9",
		label:  "key expansion",
		seed:   "d5e4f9c93e4f3ea90834022ea180c87336b127a801e9f5997f059b777e18cfaa",
		want:   "8665299722c6e13b6d4a960407",
	},
	{
		// openssl kdf -keylen 64 -kdfopt digest:SHA256 -kdfopt hexsecret:01
		//   -kdfopt hexseed:78 TLS1-PRF
		name:   "SHA256/1-byte secret/empty seed",
		prf:    PRF12(crypto.SHA256),
		secret: "01",
		label:  "x",
		want:   "124b86669dde1954da6d4727b32db88ecc553577d76206a01dc51c84e1a11106a43d06e9c5fc5348d6057397ae984bdde571830a1c492ecd58845cef6e7a30af",
	},
	{
		// openssl kdf -keylen 100 -kdfopt digest:SHA384 -kdfopt hexsecret:<secret>
		//   -kdfopt hexseed:74657374206c6162656c<seed> TLS1-PRF
		name:   "SHA384/48-byte secret/100 bytes",
		prf:    PRF12(crypto.SHA384),
		secret: "0c6176102ad861eadca75f2faf1b8346fafb7506cf89ae6b505cd15b3afc4ab09319512c0192dc9175cb4556ebb8bf2e",
		label:  "test label",
		seed:   "f1fa8cd6a1aa94918f5ce126e89d6d6bfba5f7fd2af55eb06ecf1603b8dcf158ec8b58739488585ef8fd3ba8771a408bae6b248671c6a927b18ceae4f9586624",
		want:   "677179e14ff0834d0bbc6b3d068cd7a1d1f703ea84f7bdbfb555429932dfb819fe496aa8f2a07c5cc351cc6518d1ff756beb2ce158284c80c17f453f57aa13face25d7abb099cf78859030ead32f933ca43366bad114e7d3766fdc8cc026752891c733e7",
	},
	{
		// openssl kdf -keylen 13 -kdfopt digest:SHA384 -kdfopt hexsecret:<secret>
		//   -kdfopt hexseed:6b657920657870616e73696f6e<seed> TLS1-PRF
		name:   "SHA384/13-byte secret/13 bytes",
		prf:    PRF12(crypto.SHA384),
		secret: "f8f5c0b8ab2a8957bda5a366c9",
		label:  "key expansion",
		seed:   "d5e4f9c93e4f3ea90834022ea180c87336b127a801e9f5997f059b777e18cfaa",
		want:   "e820a49c6fa9e71a7b0d594aaa",
	},
	{
		// openssl kdf -keylen 64 -kdfopt digest:SHA384 -kdfopt hexsecret:01
		//   -kdfopt hexseed:78 TLS1-PRF
		name:   "SHA384/1-byte secret/empty seed",
		prf:    PRF12(crypto.SHA384),
		secret: "01",
		label:  "x",
		want:   "b217668788c294142592cc2b818077184004f2e1c79b0f181e3d76095c1471aad6a295ebf497650163df8af17f59f7201c70d3608fc90a8aa619951521f994f9",
	},
}

func TestPRF(t *testing.T) {
	for _, tt := range prfTests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.want)
			got := make([]byte, len(want))
			tt.prf(got, mustHex(t, tt.secret), []byte(tt.label), mustHex(t, tt.seed))
			if !bytes.Equal(got, want) {
				t.Errorf("got  %x\nwant %x", got, want)
			}
		})
	}
}

// TestPRFPrefix checks that a shorter output is a prefix of a longer one at
// every length around the hash block boundaries, so the expansion loop does
// not depend on the output length.
func TestPRFPrefix(t *testing.T) {
	for _, tt := range prfTests {
		t.Run(tt.name, func(t *testing.T) {
			secret, seed := mustHex(t, tt.secret), mustHex(t, tt.seed)
			full := make([]byte, 130)
			tt.prf(full, secret, []byte(tt.label), seed)
			for n := 0; n <= len(full); n++ {
				got := make([]byte, n)
				tt.prf(got, secret, []byte(tt.label), seed)
				if !bytes.Equal(got, full[:n]) {
					t.Fatalf("%d-byte output is not a prefix of the 130-byte output", n)
				}
			}
		})
	}
}

// TestPRFEmptySecret checks that an empty secret, which no cipher suite
// produces, is still handled as the RFC defines it and does not panic.
func TestPRFEmptySecret(t *testing.T) {
	for _, prf := range []Func{PRF10, PRF12(crypto.SHA256)} {
		out := make([]byte, 40)
		prf(out, nil, []byte("label"), []byte("seed"))
		if bytes.Equal(out, make([]byte, len(out))) {
			t.Errorf("output is all zeros")
		}
	}
}
