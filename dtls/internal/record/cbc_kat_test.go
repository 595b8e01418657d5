package record

import (
	"bytes"
	"crypto"
	"testing"
)

// The keys of the known-answer tests.
const (
	katKey128 = "000102030405060708090a0b0c0d0e0f"
	katKey256 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	katMAC20  = "101112131415161718191a1b1c1d1e1f20212223"
	katMAC32  = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
)

// The expected fragments come from Python's cryptography and hmac
// packages, with the MAC input written out by hand (macInput below, the
// bytes before the data) and the least padding p, p-1 repeated p times:
//
//	enc = lambda b: (c := Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()).update(b) + c.finalize()
//	MtE: IV + enc(PT + hmac.new(MAC_KEY, MAC_INPUT + PT, H).digest() + PAD)
//	EtM: (f := IV + enc(PT + PAD)) + hmac.new(MAC_KEY, MAC_INPUT + f, H).digest()
//
// The test also builds each record with crypto/aes, crypto/cipher and
// crypto/hmac (refCBC), and the MAC input with refAD.
var cbcKATs = []struct {
	name           string
	hash           crypto.Hash
	etm            bool
	encKey, macKey string
	iv             string
	h              Header
	content        []byte
	macInput       string
	fragment       string
}{
	{
		name: "SHA256-MtE/AES-128", hash: crypto.SHA256,
		encKey: katKey128, macKey: katMAC32, iv: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		h:        Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 7},
		content:  []byte("hello, pathdtls"),
		macInput: "0001" + "000000000007" + "17" + "fefd" + "000f", // the content's length
		fragment: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" +
			"a17e1758a85d9054a1458e72bf019aa70c50acc2be8b539414cb2c062a84de08dc45a11bddc35ebcdc58ffa136e6467e",
	},
	{
		name: "SHA256-MtE/AES-256/DTLS 1.0", hash: crypto.SHA256,
		encKey: katKey256, macKey: katMAC32, iv: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
		h:        Header{Type: Handshake, Version: VersionDTLS10, Epoch: 2, Seq: 0xdeadbeef},
		content:  bytesRange(44),
		macInput: "0002" + "0000deadbeef" + "16" + "feff" + "002c",
		fragment: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf" +
			"ba7996615301d311228d94862a422af867828150fdacee2adebaeee8a78cbdd9" + // as cbcSHA1KATs[2]
			"5b5e06992b96586a742226baa1ba0ecdec163721255c7ef244367f6a02519dd5369a06c44292e15d48f860a886fffd8a",
	},
	{
		name: "SHA1-EtM/AES-128", hash: crypto.SHA1, etm: true,
		encKey: katKey128, macKey: katMAC20, iv: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
		h:        Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 7},
		content:  []byte("hello, pathdtls"),
		macInput: "0001" + "000000000007" + "17" + "fefd" + "0020", // IV and ciphertext
		fragment: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf" + "a334650c857f973b4dba504eefd6844a" +
			"79fb8cd1747973c697a1c92c063c39267937782c",
	},
	{
		name: "SHA1-EtM/AES-256/three blocks", hash: crypto.SHA1, etm: true,
		encKey: katKey256, macKey: katMAC20, iv: "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
		h:        Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 0x0102030405},
		content:  bytesRange(33),
		macInput: "0001" + "000102030405" + "17" + "fefd" + "0040",
		fragment: "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf" +
			"2a5c57389fcda49e71f0692198b7024490586618e41b7312c984fec8a1001d992e9d57501287a6af7a6cac4d50f08d1b" +
			"88137366db79083cf88393c91ab77fd5cda6c53a",
	},
	{
		name: "SHA256-EtM/AES-256/DTLS 1.0/empty content", hash: crypto.SHA256, etm: true,
		encKey: katKey256, macKey: katMAC32, iv: "e0e1e2e3e4e5e6e7e8e9eaebecedeeef",
		h:        Header{Type: Alert, Version: VersionDTLS10, Epoch: 3, Seq: 0x0102030405},
		content:  nil,
		macInput: "0003" + "000102030405" + "15" + "feff" + "0020",
		fragment: "e0e1e2e3e4e5e6e7e8e9eaebecedeeef" + "7ed45ae3788d47a3a607867c42ae8a43" +
			"a36809dd3c16e5cfcdfef07be8947ee9b7176e0178216be1e337d73436349cc9",
	},
}

func TestCBCKnownAnswers(t *testing.T) {
	for _, tt := range cbcKATs {
		t.Run(tt.name, func(t *testing.T) {
			encKey, macKey, iv := mustHex(t, tt.encKey), mustHex(t, tt.macKey), mustHex(t, tt.iv)
			macInput, want := mustHex(t, tt.macInput), mustHex(t, tt.fragment)
			n := len(tt.content)
			if tt.etm {
				n = len(want) - tt.hash.Size()
			}
			if got := appendAdditionalData(nil, tt.h, n); !bytes.Equal(got, macInput) || !bytes.Equal(refAD(tt.h)(n), macInput) {
				t.Fatalf("MAC input = %x, want %x", got, macInput)
			}
			ref := refCBC{hash: tt.hash, etm: tt.etm, encKey: encKey, macKey: macKey, iv: iv}
			if got := ref.record(t, refAD(tt.h), tt.content, nil, nil); !bytes.Equal(got, want) {
				t.Fatalf("by hand =\n%x, want\n%x", got, want)
			}
			c, err := NewCBC(encKey, macKey, tt.hash, tt.etm, bytes.NewReader(iv))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Seal(nil, tt.h, tt.content)
			if !bytes.Equal(got, want) || len(got) != c.SealedLen(len(tt.content)) {
				t.Fatalf("Seal =\n%x, want\n%x", got, want)
			}
			if opened, err := c.Open(tt.h, got); err != nil || !bytes.Equal(opened, tt.content) {
				t.Fatalf("Open = %x, %v", opened, err)
			}
		})
	}
}

// The expected fragments of records with a connection ID come from Python
// as cbcKATs', with the DTLSInnerPlaintext as PT and the MAC input of RFC
// 9146, Section 5.1 (MtE) or 5.2 (EtM), written out by hand.
var cbcCIDKATs = []struct {
	name           string
	hash           crypto.Hash
	etm            bool
	encKey, macKey string
	iv             string
	h              CIDHeader
	typ            ContentType
	content        []byte
	padding        int
	macInput       string
	fragment       string
}{
	{
		name: "SHA1-EtM", hash: crypto.SHA1, etm: true,
		encKey: katKey128, macKey: katMAC20, iv: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		h:   CIDHeader{Version: VersionDTLS12, Epoch: 2, Seq: 0xdeadbeef, CID: []byte{0xc1, 0xd1}},
		typ: Handshake, content: bytesRange(20), padding: 0,
		macInput: "ffffffffffffffff" + // seq_num_placeholder
			"19" + "02" + "19" + // tls12_cid, cid_length, tls12_cid
			"fefd" + "0002" + "0000deadbeef" + // version, epoch, sequence_number
			"c1d1" + // cid
			"0030", // DTLSCiphertext.length: IV and ciphertext
		fragment: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" +
			"fef1a8b625f0c43a7108b623a6fb90ca3667929a8e85d5a7678e881c3eea3d39" + // the first block as in cidKATs
			"94a5587ee31d78ae594e1b5f442e920ba7be2cce",
	},
	{
		name: "SHA256-EtM", hash: crypto.SHA256, etm: true,
		encKey: katKey128, macKey: katMAC32, iv: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
		h:   CIDHeader{Version: VersionDTLS12, Epoch: 1, Seq: 7, CID: testCID},
		typ: ApplicationData, content: []byte("hello, pathdtls"), padding: 3,
		macInput: "ffffffffffffffff" + "19" + "04" + "19" + "fefd" + "0001" + "000000000007" + "a1a2a3a4" + "0030",
		fragment: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
			"8e3056f9c049a8f97ce314f091a165c1bcd1eb61a15fc4267a4b15900372797b" +
			"8345307cdf42596e57fe2d382291c6d9c486a0d3a87864e1c54058d7b12e5c1d",
	},
	{
		name: "SHA256-MtE", hash: crypto.SHA256,
		encKey: katKey128, macKey: katMAC32, iv: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
		h:   CIDHeader{Version: VersionDTLS12, Epoch: 1, Seq: 7, CID: testCID},
		typ: ApplicationData, content: []byte("hello, pathdtls"), padding: 3,
		macInput: "ffffffffffffffff" + "19" + "04" + "19" + "fefd" + "0001" + "000000000007" + "a1a2a3a4" +
			"0013", // length_of_DTLSInnerPlaintext
		fragment: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
			"8e3056f9c049a8f97ce314f091a165c18f701c1e74cbdb2501ff65d43e03c2b5" +
			"9c775ed49b3bb547ca4ffccff73eae03bda5edb03d6b9488d80b183287a43b6e",
	},
}

func TestCBCCIDKnownAnswers(t *testing.T) {
	for _, tt := range cbcCIDKATs {
		t.Run(tt.name, func(t *testing.T) {
			encKey, macKey, iv := mustHex(t, tt.encKey), mustHex(t, tt.macKey), mustHex(t, tt.iv)
			macInput, want := mustHex(t, tt.macInput), mustHex(t, tt.fragment)
			inner := append(append(bytes.Clone(tt.content), byte(tt.typ)), make([]byte, tt.padding)...)
			got := appendCIDAdditionalData(nil, tt.h, len(inner))
			if tt.etm {
				got = appendCIDEtMData(nil, tt.h, len(want)-tt.hash.Size())
			}
			if !bytes.Equal(got, macInput) {
				t.Fatalf("MAC input = %x, want %x", got, macInput)
			}
			ref := refCBC{hash: tt.hash, etm: tt.etm, encKey: encKey, macKey: macKey, iv: iv}
			if got := ref.record(t, refCIDAD(tt.h), inner, nil, nil); !bytes.Equal(got, want) {
				t.Fatalf("by hand =\n%x, want\n%x", got, want)
			}
			c, err := NewCBC(encKey, macKey, tt.hash, tt.etm, bytes.NewReader(iv))
			if err != nil {
				t.Fatal(err)
			}
			cc := c.(CIDCipher)
			sealed := cc.SealCID(nil, tt.h, tt.typ, tt.content, tt.padding)
			if !bytes.Equal(sealed, want) || len(sealed) != c.SealedLen(len(inner)) {
				t.Fatalf("SealCID =\n%x, want\n%x", sealed, want)
			}
			content, typ, err := cc.OpenCID(tt.h, sealed)
			if err != nil || typ != tt.typ || !bytes.Equal(content, tt.content) {
				t.Fatalf("OpenCID = %x, %v, %v", content, typ, err)
			}
		})
	}
}

// TestCIDEtMData checks the MAC input of RFC 9146, Section 5.2, against the
// RFC's fields written out by hand, for a short and the longest CID.
func TestCIDEtMData(t *testing.T) {
	h := CIDHeader{Version: VersionDTLS12, Epoch: 0x0102, Seq: 0x030405060708, CID: testCID, Length: 999}
	want := mustHex(t, "ffffffffffffffff"+ // seq_num_placeholder
		"19"+ // tls12_cid
		"04"+ // cid_length
		"19"+ // tls12_cid
		"fefd"+ // DTLSCiphertext.version
		"0102"+ // epoch
		"030405060708"+ // sequence_number
		"a1a2a3a4"+ // cid
		"0150") // the length of IV and ciphertext, not h.Length
	if got := appendCIDEtMData(nil, h, 0x0150); !bytes.Equal(got, want) {
		t.Errorf("appendCIDEtMData =\n%x, want\n%x", got, want)
	}
	h.CID = bytes.Repeat([]byte{0xc3}, MaxCIDLen)
	if got, want := appendCIDEtMData(nil, h, 64), refCIDAD(h)(64); !bytes.Equal(got, want) {
		t.Errorf("with the longest CID:\n%x, want\n%x", got, want)
	}
}
