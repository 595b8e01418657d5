package prf

import (
	"bytes"
	"crypto"
	"testing"
)

// The inputs shared by the derivation tests: a DTLS 1.2 RSA pre-master
// secret, the two hello randoms, a SHA-256 session hash and a 36-byte
// MD5||SHA-1 handshake hash.
const (
	kdfPreMaster    = "fefdd313c3c2d0420d48488fb678fdfb8143cc0c3b95716872cc34e4769608f1433f11b8f97165bd6a1f8ddbf7ca6486"
	kdfClientRandom = "b3e9b74d63bfb7b113175e37fa2bb2813825f159e491d67acb0042a586ca2162"
	kdfServerRandom = "b0439618b51bc7de9a13bcbe8f25b80e5ad4eb4b417a22dfa197a2ed77d83e59"
	kdfSessionHash  = "cd5f86e8883c6e69fe94ec425d8fed8417f1bccd7f19b88ea74587bc524c323e"
	kdfMD5SHA1Hash  = "ea9707741dab3a28bf044e9f8ea6a47d2eed280f342d5996060d9b9b791e788f5383794b"
)

// The expected values come from OpenSSL 3.0's TLS1-PRF with the digest named
// in each row, the label's bytes put in front of the seed:
//
//	master:   openssl kdf -keylen 48 -kdfopt digest:D -kdfopt hexsecret:<pre-master>
//	            -kdfopt hexseed:6d617374657220736563726574<client random><server random> TLS1-PRF
//	extended: openssl kdf -keylen 48 -kdfopt digest:D -kdfopt hexsecret:<pre-master>
//	            -kdfopt hexseed:657874656e646564206d617374657220736563726574<session hash> TLS1-PRF
//	keyBlock: openssl kdf -keylen 104 -kdfopt digest:D -kdfopt hexsecret:<master>
//	            -kdfopt hexseed:6b657920657870616e73696f6e<server random><client random> TLS1-PRF
//	client:   openssl kdf -keylen 12 -kdfopt digest:D -kdfopt hexsecret:<master>
//	            -kdfopt hexseed:636c69656e742066696e6973686564<session hash> TLS1-PRF
//	server:   openssl kdf -keylen 12 -kdfopt digest:D -kdfopt hexsecret:<master>
//	            -kdfopt hexseed:7365727665722066696e6973686564<MD5SHA1 hash> TLS1-PRF
var kdfTests = []struct {
	name     string
	prf      Func
	master   string
	extended string
	keyBlock string // 104 bytes
	client   string // "client finished" over kdfSessionHash
	server   string // "server finished" over kdfMD5SHA1Hash
}{
	{
		name:     "MD5-SHA1",
		prf:      PRF10,
		master:   "87520a620ec237d61ea182889a2d0a4ed8dbc727db2270a5568e9f6e60d025218c13d9b592520aa791a760beef8a17a7",
		extended: "21f516a1972d513e674b0c2d062c1a19cd32fa010fcf437414c02e8e0b2a908163ea229ed47b6af785cc72615d75113d",
		keyBlock: "5cf66a5cde2045807337f38a993f708df02c852d252e2a668ff96c90b34ae9168597dc8e76bd6bce7c5531fdd8ea5b51a9a86d457e2d4bdab7a9d78e23c1d94be6ee89ed7420de7155a822ce179391b44f78f1b7763336edae3b4269a7a6ef31c1800dee3039e213",
		client:   "5cbdf02a08ed3b2e76939850",
		server:   "3dd0ee593f2991cb955c9cd5",
	},
	{
		name:     "SHA256",
		prf:      PRF12(crypto.SHA256),
		master:   "08e33c90f00400a33db84f551dfe01a2cef6f65aef6b810b3bd6ed2e3e550a2aa8bd3eff7c5f48fc05b5212a4a7216be",
		extended: "e801fe6e82714ff9fef137fe1b0d938834a53b69f6dac460572c86157db3bf6452e3e0862c3ab3014feb73007a353141",
		keyBlock: "1ed8c9f4582ee10831ff593a3084704703fac3fa1d9c2f9600ab92f1ee8841691c017cd45c223bcca48750d3392362cb3d4a3a2217b2541237c313959963d60ac63f80fdad41604a62fb187b92b4b4481e19f571ea9edede56e05a89e3a1ed13048cb6122c084a0d",
		client:   "ba0ca0d65663e4d2b990c20e",
		server:   "aa3da8d89327de5bc7c0837c",
	},
	{
		name:     "SHA384",
		prf:      PRF12(crypto.SHA384),
		master:   "a2b1f7bb6f5396daa72d8d73317da220b2a37d1eb74e95c3e0383b43de595d55c7cf8c7c9cfcbca3c244a6e43f5b7146",
		extended: "33d1c51de49fb1eaf2b752b86a194dfad1d0314f0a76024053809b5f270d7e1034ad0a62cd8e729b35060307a2f9761f",
		keyBlock: "912624da0aa0f29ae35780422d9355af3103913af495716c64370ec3267f9b156d371a432689bc2e83a9741a7cc25f130a957ef437b4a82a7749d86a8180ce7cc869e6f028047f36bcbfafb3c890c8f441c39b29b72f314efcfc256731b31db124f7ade3acfc4e3b",
		client:   "f1634936ed018949a5b4b4f3",
		server:   "63ffff26734ab167d22758c1",
	},
}

func TestKeyDerivation(t *testing.T) {
	preMaster := mustHex(t, kdfPreMaster)
	clientRandom := mustHex(t, kdfClientRandom)
	serverRandom := mustHex(t, kdfServerRandom)
	sessionHash := mustHex(t, kdfSessionHash)
	md5sha1Hash := mustHex(t, kdfMD5SHA1Hash)
	for _, tt := range kdfTests {
		t.Run(tt.name, func(t *testing.T) {
			master := MasterSecret(nil, tt.prf, preMaster, clientRandom, serverRandom)
			check(t, "MasterSecret", master, tt.master)
			check(t, "ExtendedMasterSecret", ExtendedMasterSecret(nil, tt.prf, preMaster, sessionHash), tt.extended)
			check(t, "KeyBlock", KeyBlock(nil, tt.prf, master, clientRandom, serverRandom, 104), tt.keyBlock)
			check(t, "VerifyData(client)", VerifyData(nil, tt.prf, master, []byte("client finished"), sessionHash), tt.client)
			check(t, "VerifyData(server)", VerifyData(nil, tt.prf, master, []byte("server finished"), md5sha1Hash), tt.server)
		})
	}
}

func check(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if w := mustHex(t, want); !bytes.Equal(got, w) {
		t.Errorf("%s:\ngot  %x\nwant %x", what, got, w)
	}
}

func TestKeyBlockLengths(t *testing.T) {
	master := mustHex(t, kdfTests[1].master)
	for _, n := range []int{-1, 0, 1, 40, 72, 104, 136} {
		got := KeyBlock(nil, PRF12(crypto.SHA256), master, nil, nil, n)
		if len(got) != max(n, 0) {
			t.Errorf("KeyBlock(n=%d) returned %d bytes", n, len(got))
		}
	}
}

func TestMD5SHA1(t *testing.T) {
	tests := []struct{ in, want string }{
		// printf '' | openssl dgst -md5; printf '' | openssl dgst -sha1
		{"", "d41d8cd98f00b204e9800998ecf8427e" + "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		// printf 'handshake messages' | openssl dgst -md5 (then -sha1)
		{"handshake messages", "0da4ff060eb53fcd3916e769f1f469c8" + "3e7c6d08513821631ab94d35d5539f3531f25eff"},
	}
	for _, tt := range tests {
		check(t, "MD5SHA1("+tt.in+")", MD5SHA1(nil, []byte(tt.in)), tt.want)
	}
}

// TestAppend checks that the derivations append to what dst holds, in its
// array when it has room for the output and the seed.
func TestAppend(t *testing.T) {
	tt := kdfTests[1]
	preMaster := mustHex(t, kdfPreMaster)
	cr, sr := mustHex(t, kdfClientRandom), mustHex(t, kdfServerRandom)
	for _, capacity := range []int{0, 8 + MasterSecretLen + 64, 1024} {
		dst := append(make([]byte, 0, capacity), "prefix::"...)
		got := MasterSecret(dst, tt.prf, preMaster, cr, sr)
		if string(got[:8]) != "prefix::" {
			t.Fatalf("cap %d: the prefix became %q", capacity, got[:8])
		}
		check(t, "MasterSecret after a prefix", got[8:], tt.master)
		if roomy := capacity >= 8+MasterSecretLen+64; roomy != (&got[0] == &dst[:1][0]) {
			t.Errorf("cap %d: appended in dst's array: %v, want %v", capacity, !roomy, roomy)
		}
		kb := KeyBlock(got[:8], tt.prf, mustHex(t, tt.master), cr, sr, 104)
		check(t, "KeyBlock after a prefix", kb[8:], tt.keyBlock)
	}
}
