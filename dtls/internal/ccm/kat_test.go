package ccm

import "encoding/hex"

// A kat is a known answer: sealed is the ciphertext followed by the tag.
type kat struct {
	name      string
	key       string
	tagSize   int
	nonce     string
	ad        []byte
	plaintext []byte
	sealed    string
}

// rfc3610Key is the key of RFC 3610, Section 8, Packet Vectors #1 to #12.
const rfc3610Key = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"

// rfc3610KATs are Packet Vectors #1 to #4, #7 and #8 of RFC 3610, Section 8
// (13-byte nonces, L = 2), typed in from the RFC: each packet's first 8 or 12
// bytes are the additional data, and sealed is the rest of the output packet.
// Python's cryptography package (AESCCM, over OpenSSL) agrees with each.
var rfc3610KATs = []kat{
	{
		name: "RFC 3610 #1", key: rfc3610Key, tagSize: 8,
		nonce:     "00000003020100a0a1a2a3a4a5",
		ad:        unhex("0001020304050607"),
		plaintext: unhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e"),
		sealed:    "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384" + "17e8d12cfdf926e0",
	},
	{
		name: "RFC 3610 #2", key: rfc3610Key, tagSize: 8,
		nonce:     "00000004030201a0a1a2a3a4a5",
		ad:        unhex("0001020304050607"),
		plaintext: unhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
		sealed:    "72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3b" + "a091d56e10400916",
	},
	{
		name: "RFC 3610 #3", key: rfc3610Key, tagSize: 8,
		nonce:     "00000005040302a0a1a2a3a4a5",
		ad:        unhex("0001020304050607"),
		plaintext: unhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"),
		sealed:    "51b1e5f44a197d1da46b0f8e2d282ae871e838bb64da859657" + "4adaa76fbd9fb0c5",
	},
	{
		name: "RFC 3610 #4", key: rfc3610Key, tagSize: 8,
		nonce:     "00000006050403a0a1a2a3a4a5",
		ad:        unhex("000102030405060708090a0b"),
		plaintext: unhex("0c0d0e0f101112131415161718191a1b1c1d1e"),
		sealed:    "a28c6865939a9a79faaa5c4c2a9d4a91cdac8c" + "96c861b9c9e61ef1",
	},
	{
		name: "RFC 3610 #7", key: rfc3610Key, tagSize: 10,
		nonce:     "00000009080706a0a1a2a3a4a5",
		ad:        unhex("0001020304050607"),
		plaintext: unhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e"),
		sealed:    "0135d1b2c95f41d5d1d4fec185d166b8094e999dfed96c" + "048c56602c97acbb7490",
	},
	{
		name: "RFC 3610 #8", key: rfc3610Key, tagSize: 10,
		nonce:     "0000000a090807a0a1a2a3a4a5",
		ad:        unhex("0001020304050607"),
		plaintext: unhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
		sealed:    "7b75399ac0831dd2f0bbd75879a2fd8f6cae6b6cd9b7db24" + "c17b4433f434963f34b4",
	},
}

// nistKey is the key of NIST SP 800-38C, Appendix C.
const nistKey = "404142434445464748494a4b4c4d4e4f"

// nistKATs are Examples 1 to 4 of NIST SP 800-38C, Appendix C: nonces of 7,
// 8, 12 and 13 bytes with tags of 4, 6, 8 and 14 bytes. Example 4's
// additional data is 524288 bits (65536 bytes: 0x00 to 0xff, 256 times),
// which takes the six-byte 0xff 0xfe length encoding of RFC 3610, Section 2.2.
var nistKATs = []kat{
	{
		name: "SP 800-38C C.1", key: nistKey, tagSize: 4,
		nonce:     "10111213141516",
		ad:        unhex("0001020304050607"),
		plaintext: unhex("20212223"),
		sealed:    "7162015b" + "4dac255d",
	},
	{
		name: "SP 800-38C C.2", key: nistKey, tagSize: 6,
		nonce:     "1011121314151617",
		ad:        unhex("000102030405060708090a0b0c0d0e0f"),
		plaintext: unhex("202122232425262728292a2b2c2d2e2f"),
		sealed:    "d2a1f0e051ea5f62081a7792073d593d" + "1fc64fbfaccd",
	},
	{
		name: "SP 800-38C C.3", key: nistKey, tagSize: 8,
		nonce:     "101112131415161718191a1b",
		ad:        unhex("000102030405060708090a0b0c0d0e0f10111213"),
		plaintext: unhex("202122232425262728292a2b2c2d2e2f3031323334353637"),
		sealed:    "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5" + "484392fbc1b09951",
	},
	{
		name: "SP 800-38C C.4", key: nistKey, tagSize: 14,
		nonce:     "101112131415161718191a1b1c",
		ad:        bytesRange(65536),
		plaintext: unhex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"),
		sealed: "69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72" +
			"b4ac6bec93e8598e7f0dadbcea5b",
	},
}

// The DTLS shapes: the 12-byte nonce (L = 3) of RFC 6655's suites, and
// the 13-byte additional data of a DTLS 1.2 record (epoch 1, sequence number
// 7, application data, DTLS 1.2, length 15).
const (
	dtlsKey128 = "feffe9928665731c6d6a8f9467308308"
	dtlsKey256 = dtlsKey128 + dtlsKey128
	dtlsNonce  = "cafebabefacedbaddecaf888"
)

var dtlsAD = unhex("00010000000000071703fd000f")

// dtlsKATs come from the AESCCM class of Python's cryptography package (48.0,
// over OpenSSL), with the inputs below (bytesRange(n) is bytes(i % 256 for i
// in range(n))):
//
//	python3 -c 'from cryptography.hazmat.primitives.ciphers.aead import AESCCM;
//	  print(AESCCM(bytes.fromhex(KEY), tag_length=M).encrypt(
//	    bytes.fromhex(NONCE), PLAINTEXT, AD).hex())'
var dtlsKATs = []kat{
	{
		name: "AES-128-CCM/record", key: dtlsKey128, tagSize: 16,
		nonce: dtlsNonce, ad: dtlsAD, plaintext: []byte("hello, pathdtls"),
		sealed: "b9c7b70206e0a68f34da558770295b" + "c6b0f5f94932a1e15f9612a7233b392e",
	},
	{
		name: "AES-128-CCM_8/record", key: dtlsKey128, tagSize: 8,
		nonce: dtlsNonce, ad: dtlsAD, plaintext: []byte("hello, pathdtls"),
		sealed: "b9c7b70206e0a68f34da558770295b" + "26bf14d6f552c24d",
	},
	{
		name: "AES-128-CCM/empty plaintext", key: dtlsKey128, tagSize: 16,
		nonce: dtlsNonce, ad: dtlsAD, plaintext: nil,
		sealed: "498d5679e979e18fe28cbfafcd10278a",
	},
	{
		name: "AES-128-CCM_8/empty plaintext", key: dtlsKey128, tagSize: 8,
		nonce: dtlsNonce, ad: dtlsAD, plaintext: nil,
		sealed: "5054ca789651a091",
	},
	{
		name: "AES-128-CCM/empty AD, 3 blocks", key: dtlsKey128, tagSize: 16,
		nonce: dtlsNonce, ad: nil, plaintext: bytesRange(48),
		sealed: "d1a3d96d6dc980f85da737e8084826a9322d4bdd7883e0ea91be33006ca5915a" +
			"bbe22c66cc3cae4f8fbda1e89ce7d5e7" + "ec4e42488ef933b309ad49cdd782e2a5",
	},
	{
		name: "AES-128-CCM_8/empty both", key: dtlsKey128, tagSize: 8,
		nonce: dtlsNonce, ad: nil, plaintext: nil,
		sealed: "f9d97c2e264db165",
	},
	{
		name: "AES-256-CCM/4 blocks", key: dtlsKey256, tagSize: 16,
		nonce: dtlsNonce, ad: dtlsAD, plaintext: bytesRange(64),
		sealed: "1cfcfc710fa24365f60b96372b91868ce02ae57a0cf5b9347fa85d2778adf530" +
			"47d65d96cd2402f5681f88ea3d332d3cc22d99ed545b3ae8fe66e92c733aa009" +
			"43403cef501e4ded256c916321135bd6",
	},
	{
		name: "AES-256-CCM_8/100 bytes", key: dtlsKey256, tagSize: 8,
		nonce: dtlsNonce, ad: dtlsAD, plaintext: bytesRange(100),
		sealed: "1cfcfc710fa24365f60b96372b91868ce02ae57a0cf5b9347fa85d2778adf530" +
			"47d65d96cd2402f5681f88ea3d332d3cc22d99ed545b3ae8fe66e92c733aa009" +
			"0b934a9a57115697d68d76d647db62fed9dde574122316549173975c6d42f9ba" +
			"950507548c066d89" + "40a87ef5",
	},
	{
		// The longest additional data with a two-byte length: 2^16-2^8-1.
		name: "AES-128-CCM/AD 65279", key: dtlsKey128, tagSize: 16,
		nonce: dtlsNonce, ad: bytesRange(65279), plaintext: bytesRange(20),
		sealed: "d1a3d96d6dc980f85da737e8084826a9322d4bdd" + "57a76ccf8cfd17f1e2985ea1c99b11b8",
	},
	{
		// The shortest with the six-byte 0xff 0xfe encoding: 2^16-2^8.
		name: "AES-128-CCM/AD 65280", key: dtlsKey128, tagSize: 16,
		nonce: dtlsNonce, ad: bytesRange(65280), plaintext: bytesRange(20),
		sealed: "d1a3d96d6dc980f85da737e8084826a9322d4bdd" + "3cbccd98c2c77ebdf1c4f73a0131b6c0",
	},
}

// unhex decodes a hex constant of the test tables, panicking on a typo.
func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// bytesRange returns n bytes counting 0, 1, …, 255, 0, 1, ….
func bytesRange(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}
