package record

import (
	"bytes"
	"errors"
	"testing"
)

// The expected fragments come from the AESGCM class of Python's
// cryptography package, with nonce = fixedIV || epoch || seq and
// ad = epoch || seq || type || version || length:
//
//	python3 -c 'from cryptography.hazmat.primitives.ciphers.aead import AESGCM;
//	  e = bytes.fromhex(EPOCH + SEQ);
//	  ad = e + bytes.fromhex(TYPE + VERSION) + len(PT).to_bytes(2, "big");
//	  print((e + AESGCM(bytes.fromhex(KEY)).encrypt(bytes.fromhex(FIXED_IV) + e, PT, ad)).hex())'
var gcmKATs = []struct {
	name      string
	key, iv   string
	h         Header
	plaintext []byte
	fragment  string
}{
	{
		name:      "AES-128/application data",
		key:       "feffe9928665731c6d6a8f9467308308",
		iv:        "cafebabe",
		h:         Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 7},
		plaintext: []byte("hello, pathdtls"),
		fragment:  "0001000000000007" + "96934c42e71d498c94d964e9240f36" + "156c7a7ff35cb4d0ee02e62f3cd1bd71",
	},
	{
		name:      "AES-128/empty",
		key:       "feffe9928665731c6d6a8f9467308308",
		iv:        "cafebabe",
		h:         Header{Type: Handshake, Version: VersionDTLS12, Epoch: 1, Seq: 0},
		plaintext: nil,
		fragment:  "0001000000000000" + "7b2bc64d5a40ba51264b6cf794664f16",
	},
	{
		name:      "AES-256/last epoch and seq",
		key:       "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		iv:        "deadbeef",
		h:         Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 0xfffe, Seq: MaxSeq},
		plaintext: bytesRange(64),
		fragment: "fffeffffffffffff" +
			"3cb949063868882fa467b58413d44882c54a75ce9ca7e324351e7cd86205d1d3" +
			"d56e53d47ccb8245baf0018541b8d602482cd39dad347822d6065726f003ed56" +
			"b4df620c493fd8ded38eb1e6172bec2c",
	},
}

// bytesRange returns the bytes 0, 1, ..., n-1.
func bytesRange(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestAESGCMKnownAnswers(t *testing.T) {
	for _, tt := range gcmKATs {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewAESGCM(mustHex(t, tt.key), mustHex(t, tt.iv))
			if err != nil {
				t.Fatal(err)
			}
			want := mustHex(t, tt.fragment)
			got := c.Seal(nil, tt.h, tt.plaintext)
			if !bytes.Equal(got, want) {
				t.Fatalf("Seal =\n%x, want\n%x", got, want)
			}
			opened, err := c.Open(tt.h, got)
			if err != nil || !bytes.Equal(opened, tt.plaintext) {
				t.Fatalf("Open = %x, %v", opened, err)
			}
		})
	}
}

// TestAESGCMExplicitNonceFromRecord checks that Open takes the explicit
// nonce from the fragment, not from the header: RFC 5288, Section 3, lets
// the sender choose it.
func TestAESGCMExplicitNonceFromRecord(t *testing.T) {
	c := newTestGCM(t)
	sealed := Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 3, Seq: 10}
	fragment := c.Seal(nil, sealed, []byte("data"))
	if !bytes.Equal(fragment[:8], mustHex(t, "000300000000000a")) {
		t.Fatalf("explicit nonce = %x, want the epoch and sequence number", fragment[:8])
	}
	if _, err := openCopy(c, sealed, fragment); err != nil {
		t.Fatalf("Open: %v", err)
	}
}

// tamperedHeaders returns copies of h each with one authenticated field
// changed.
func tamperedHeaders(h Header) []Header {
	var hs []Header
	for _, f := range []func(*Header){
		func(h *Header) { h.Type = Handshake },
		func(h *Header) { h.Type = Alert },
		func(h *Header) { h.Version = VersionDTLS10 },
		func(h *Header) { h.Version ^= 0x0100 },
		func(h *Header) { h.Epoch++ },
		func(h *Header) { h.Epoch ^= 0x8000 },
		func(h *Header) { h.Seq++ },
		func(h *Header) { h.Seq ^= 1 << 47 },
		func(h *Header) { h.Seq ^= 1 << 40 },
	} {
		t := h
		f(&t)
		hs = append(hs, t)
	}
	return hs
}

// FuzzOpenAESGCM checks that Open never panics, and that the only
// fragments that authenticate are those Seal produces: the seeds are real
// records, and no mutation of them may open.
func FuzzOpenAESGCM(f *testing.F) {
	c := newTestGCM(f)
	for _, n := range []int{0, 1, 16, 100} {
		h := testHeader
		h.Seq += uint64(n)
		f.Add(uint8(h.Type), h.Version, h.Epoch, h.Seq, sealRecord(c, h, testPlaintext(n)))
	}
	f.Add(uint8(ApplicationData), VersionDTLS12, uint16(1), uint64(0), []byte{})

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
		if resealed := c.Seal(nil, h, plaintext); !bytes.Equal(resealed, original) {
			t.Fatalf("forged fragment %x opened", original)
		}
	})
}
