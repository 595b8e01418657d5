package record

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// testCID is the connection ID of the records the tests seal.
var testCID = []byte{0xa1, 0xa2, 0xa3, 0xa4}

// testCIDHeader is the header of the records with a CID the tests seal.
var testCIDHeader = CIDHeader{Version: VersionDTLS12, Epoch: 1, Seq: 0x0102030405, CID: testCID}

// cidCipherCase builds one CIDCipher with the test keys.
type cidCipherCase struct {
	name string
	new  func(t testing.TB) CIDCipher
}

// cidCipherCases are the ciphers that protect records with a CID, built
// with the test keys, the four AES-CBC variants (cbcVariants) included.
var cidCipherCases = append([]cidCipherCase{
	{"AESGCM", func(t testing.TB) CIDCipher { return newTestGCM(t).(CIDCipher) }},
	{"ChaCha20Poly1305", func(t testing.TB) CIDCipher { return newTestChaCha(t).(CIDCipher) }},
	{"AESCCM8", func(t testing.TB) CIDCipher { return newTestCCM(t, 8).(CIDCipher) }},
}, cbcCIDCipherCases()...)

// cbcCIDCipherCases returns a cidCipherCase for each of cbcVariants.
func cbcCIDCipherCases() []cidCipherCase {
	var cases []cidCipherCase
	for _, v := range cbcVariants {
		cases = append(cases, cidCipherCase{"CBC" + v.name, func(t testing.TB) CIDCipher { return v.new(t, nil) }})
	}
	return cases
}

func TestNullIsNotCIDCipher(t *testing.T) {
	if _, ok := NewNull().(CIDCipher); ok {
		t.Error("the null cipher protects records with a CID")
	}
}

// cidHeaderTests are headers with a CID and their encodings, written out by
// hand from RFC 9146, Section 4.
var cidHeaderTests = []struct {
	name string
	h    CIDHeader
	enc  string
}{
	{
		name: "one-byte CID",
		h:    CIDHeader{Version: VersionDTLS12, Epoch: 1, Seq: 0, CID: []byte{0x5e}, Length: 0x0030},
		enc:  "19" + "fefd" + "0001" + "000000000000" + "5e" + "0030",
	},
	{
		name: "four-byte CID",
		h:    CIDHeader{Version: VersionDTLS12, Epoch: 0x1234, Seq: 0x0102030405, CID: testCID, Length: 0x001d},
		enc:  "19" + "fefd" + "1234" + "000102030405" + "a1a2a3a4" + "001d",
	},
	{
		name: "longest CID",
		h:    CIDHeader{Version: VersionDTLS12, Epoch: 0xffff, Seq: MaxSeq, CID: bytes.Repeat([]byte{0xc1}, MaxCIDLen), Length: 2},
		enc:  "19" + "fefd" + "ffff" + "ffffffffffff" + strings.Repeat("c1", MaxCIDLen) + "0002",
	},
	{
		name: "MaxCiphertext",
		h:    CIDHeader{Version: VersionDTLS12, Epoch: 2, Seq: 1 << 32, CID: []byte{0, 0}, Length: MaxCiphertext},
		enc:  "19" + "fefd" + "0002" + "000100000000" + "0000" + "4800",
	},
}

func TestCIDHeaderAppendSplit(t *testing.T) {
	for _, tt := range cidHeaderTests {
		t.Run(tt.name, func(t *testing.T) {
			enc := mustHex(t, tt.enc)
			if got := tt.h.Append(nil); !bytes.Equal(got, enc) {
				t.Fatalf("Append = %x, want %x", got, enc)
			}
			if got := tt.h.Len(); got != len(enc) {
				t.Errorf("Len = %d, want %d", got, len(enc))
			}

			fragment := testPlaintext(int(tt.h.Length))
			next := []byte{0x19, 0xfe, 0xfd}
			datagram := append(append(enc, fragment...), next...)
			h, gotFragment, rest, ok := SplitCID(datagram, len(tt.h.CID))
			if !ok {
				t.Fatal("SplitCID failed")
			}
			if !sameCIDHeader(h, tt.h) {
				t.Errorf("SplitCID header = %+v, want %+v", h, tt.h)
			}
			if !bytes.Equal(gotFragment, fragment) || !bytes.Equal(rest, next) {
				t.Errorf("SplitCID = fragment %x, rest %x", gotFragment, rest)
			}
			if cap(gotFragment) != len(gotFragment) || cap(h.CID) != len(h.CID) {
				t.Errorf("CID or fragment capacity runs past its length")
			}

			// No proper prefix of the record parses.
			record := datagram[:len(enc)+len(fragment)]
			for i := range len(record) {
				if _, _, _, ok := SplitCID(record[:i], len(tt.h.CID)); ok {
					t.Fatalf("SplitCID accepted a %d-byte prefix of a %d-byte record", i, len(record))
				}
			}
		})
	}
}

func sameCIDHeader(a, b CIDHeader) bool {
	return a.Version == b.Version && a.Epoch == b.Epoch && a.Seq == b.Seq &&
		bytes.Equal(a.CID, b.CID) && a.Length == b.Length
}

func TestSplitCIDRejects(t *testing.T) {
	const good = "19fefd0001000000000007" + "a1a2a3a4" + "0002" + "abcd"
	tests := []struct {
		name     string
		datagram string
		cidLen   int
		pad      int // zero bytes appended, so that only the length is at fault
	}{
		{"empty", "", 4, 0},
		{"type only", "19", 4, 0},
		{"short header", "19fefd0001000000000007a1a2a3a4", 4, 0},
		{"header without all the length", "19fefd0001000000000007a1a2a3a400", 4, 0},
		{"length past datagram", "19fefd0001000000000007a1a2a3a4" + "0003" + "abcd", 4, 0},
		{"application_data type", "17fefd0001000000000007a1a2a3a40002abcd", 4, 0},
		{"handshake type", "16fefd0001000000000007a1a2a3a40002abcd", 4, 0},
		{"TLS 1.2 version", "19" + "0303" + "0001000000000007a1a2a3a40002abcd", 4, 0},
		{"major 253", "19" + "fdfd" + "0001000000000007a1a2a3a40002abcd", 4, 0},
		{"length over MaxCiphertext", "19fefd0001000000000007a1a2a3a4" + "4801", 4, 0x10000},
		{"expected CID length 0", good, 0, 0},
		{"expected CID length negative", good, -1, 0},
		{"expected CID length 256", good + strings.Repeat("00", 300), 256, 0},
		// With one byte more of CID expected, the length is 0x0200: past
		// the datagram.
		{"expected CID one byte longer", good, 5, 0},
		// With one byte less, the length is 0xa400: over MaxCiphertext.
		{"expected CID one byte shorter", good, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			datagram := append(mustHex(t, tt.datagram), make([]byte, tt.pad)...)
			h, fragment, rest, ok := SplitCID(datagram, tt.cidLen)
			if ok || h.CID != nil || h.Length != 0 || fragment != nil || rest != nil {
				t.Errorf("SplitCID(%s, %d) = %+v, %x, %x, %v; want failure", tt.datagram, tt.cidLen, h, fragment, rest, ok)
			}
		})
	}
	if _, _, _, ok := SplitCID(mustHex(t, good), 4); !ok {
		t.Error("the record the rejected ones are made from does not split")
	}
}

// TestSplitCIDDatagram splits a datagram holding a record with a CID, then
// one without, as a receiver picks the parser by the first byte.
func TestSplitCIDDatagram(t *testing.T) {
	cidRecord := cidHeaderTests[1].h
	plain := Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 9, Length: 3}
	datagram := cidRecord.Append(nil)
	datagram = append(datagram, testPlaintext(int(cidRecord.Length))...)
	datagram = plain.Append(datagram)
	datagram = append(datagram, testPlaintext(3)...)

	if ContentType(datagram[0]) != TLS12CID {
		t.Fatalf("first byte %d, want tls12_cid", datagram[0])
	}
	h, _, rest, ok := SplitCID(datagram, len(testCID))
	if !ok || !sameCIDHeader(h, cidRecord) {
		t.Fatalf("SplitCID = %+v, %v", h, ok)
	}
	if _, _, _, ok := SplitCID(rest, len(testCID)); ok {
		t.Error("SplitCID accepted a record without a CID")
	}
	got, _, rest, ok := Split(rest)
	if !ok || got != plain || len(rest) != 0 {
		t.Errorf("Split = %+v, %v, %d bytes left; want %+v", got, ok, len(rest), plain)
	}
}

func TestInnerPlaintext(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		typ     ContentType
		padding int
		enc     string
	}{
		{"no padding", []byte("hi"), ApplicationData, 0, "6869" + "17"},
		{"padding", []byte("hi"), ApplicationData, 3, "6869" + "17" + "000000"},
		{"empty content", nil, Alert, 0, "15"},
		{"empty content, padding", nil, Heartbeat, 2, "18" + "0000"},
		{"content ending in zeros", []byte{1, 0, 0}, Handshake, 1, "010000" + "16" + "00"},
		{"content of zeros", []byte{0, 0}, ChangeCipherSpec, 0, "0000" + "14"},
		{"unknown type", []byte{9}, 99, 0, "09" + "63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := mustHex(t, tt.enc)
			prefix := []byte("before")
			got := AppendInnerPlaintext(bytes.Clone(prefix), tt.content, tt.typ, tt.padding)
			if !bytes.Equal(got, append(prefix, enc...)) {
				t.Fatalf("AppendInnerPlaintext = %x, want %s after the prefix", got, tt.enc)
			}
			content, typ, ok := ParseInnerPlaintext(enc)
			if !ok || typ != tt.typ || !bytes.Equal(content, tt.content) {
				t.Fatalf("ParseInnerPlaintext = %x, %v, %v", content, typ, ok)
			}
			if cap(content) != len(content) {
				t.Errorf("content capacity %d runs past its length %d", cap(content), len(content))
			}
		})
	}
}

// TestAppendInnerPlaintextClearsPadding checks that the padding is zeros
// even where dst's spare capacity held something else.
func TestAppendInnerPlaintextClearsPadding(t *testing.T) {
	buf := bytes.Repeat([]byte{0xee}, 64)
	got := AppendInnerPlaintext(buf[:0], []byte{1}, ApplicationData, 10)
	if want := mustHex(t, "01"+"17"+strings.Repeat("00", 10)); !bytes.Equal(got, want) {
		t.Errorf("AppendInnerPlaintext = %x, want %x", got, want)
	}
}

func TestParseInnerPlaintextRejects(t *testing.T) {
	for _, inner := range []string{"", "00", "0000", strings.Repeat("00", MaxPlaintext)} {
		if content, typ, ok := ParseInnerPlaintext(mustHex(t, inner)); ok || content != nil || typ != 0 {
			t.Errorf("ParseInnerPlaintext(%d zero bytes) = %x, %v, %v; want failure", len(inner)/2, content, typ, ok)
		}
	}
}

// TestCIDAdditionalData checks the additional data against RFC 9146,
// Section 5.3, written out by hand.
func TestCIDAdditionalData(t *testing.T) {
	h := CIDHeader{Version: VersionDTLS12, Epoch: 0x0102, Seq: 0x030405060708, CID: testCID, Length: 999}
	want := mustHex(t, "ffffffffffffffff"+ // seq_num_placeholder
		"19"+ // tls12_cid
		"04"+ // cid_length
		"19"+ // tls12_cid
		"fefd"+ // DTLSCiphertext.version
		"0102"+ // epoch
		"030405060708"+ // sequence_number
		"a1a2a3a4"+ // cid
		"0123") // length_of_DTLSInnerPlaintext, not h.Length
	if got := appendCIDAdditionalData(nil, h, 0x0123); !bytes.Equal(got, want) {
		t.Errorf("appendCIDAdditionalData =\n%x, want\n%x", got, want)
	}
	h.CID = make([]byte, MaxCIDLen)
	if got := appendCIDAdditionalData(nil, h, 0); len(got) != maxCIDAdditionalDataLen || got[9] != 0xff {
		t.Errorf("with the longest CID: %d bytes, cid_length %d", len(got), got[9])
	}
}

// The expected fragments come from Python's cryptography package, with the
// additional data written out by hand from RFC 9146, Section 5:
//
//	ad = ff*8 || 19 || cid_length || 19 || version || epoch || seq || cid || len(inner)
//	AES-GCM: explicit || AESGCM(KEY).encrypt(FIXED_IV || explicit, inner, ad)
//	AES-CBC: IV || AES-CBC(inner || HMAC-SHA1(MAC_KEY, ad || inner) || padding)
var cidKATs = []struct {
	name       string
	newCipher  func(t *testing.T) CIDCipher
	h          CIDHeader
	typ        ContentType
	content    []byte
	padding    int
	additional string
	fragment   string
}{
	{
		name: "AES-128-GCM",
		newCipher: func(t *testing.T) CIDCipher {
			c, err := NewAESGCM(mustHex(t, "feffe9928665731c6d6a8f9467308308"), mustHex(t, "cafebabe"))
			if err != nil {
				t.Fatal(err)
			}
			return c.(CIDCipher)
		},
		h:          CIDHeader{Version: VersionDTLS12, Epoch: 1, Seq: 7, CID: testCID},
		typ:        ApplicationData,
		content:    []byte("hello, pathdtls"),
		padding:    3,
		additional: "ffffffffffffffff" + "19" + "04" + "19" + "fefd" + "0001" + "000000000007" + "a1a2a3a4" + "0013",
		fragment: "0001000000000007" +
			"96934c42e71d498c94d964e9240f362344665d" + // as gcmKATs[0] for the same 15 bytes
			"460a02a7c9666b428deb530365115a66",
	},
	{
		name: "AES-128-CBC-SHA1",
		newCipher: func(t *testing.T) CIDCipher {
			c, err := NewCBCSHA1(mustHex(t, "000102030405060708090a0b0c0d0e0f"),
				mustHex(t, "101112131415161718191a1b1c1d1e1f20212223"),
				bytes.NewReader(mustHex(t, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")))
			if err != nil {
				t.Fatal(err)
			}
			return c.(CIDCipher)
		},
		h:          CIDHeader{Version: VersionDTLS12, Epoch: 2, Seq: 0xdeadbeef, CID: []byte{0xc1, 0xd1}},
		typ:        Handshake,
		content:    bytesRange(20),
		padding:    0,
		additional: "ffffffffffffffff" + "19" + "02" + "19" + "fefd" + "0002" + "0000deadbeef" + "c1d1" + "0015",
		fragment: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" +
			"fef1a8b625f0c43a7108b623a6fb90ca4a7e4213b36c04b2f39f945cca9ec9a1" +
			"24889b6b4f4b880a6e44479c24b93e10",
	},
}

func TestCIDKnownAnswers(t *testing.T) {
	for _, tt := range cidKATs {
		t.Run(tt.name, func(t *testing.T) {
			inner := len(tt.content) + 1 + tt.padding
			if got := appendCIDAdditionalData(nil, tt.h, inner); !bytes.Equal(got, mustHex(t, tt.additional)) {
				t.Fatalf("additional data = %x, want %s", got, tt.additional)
			}
			c := tt.newCipher(t)
			want := mustHex(t, tt.fragment)
			got := c.SealCID(nil, tt.h, tt.typ, tt.content, tt.padding)
			if !bytes.Equal(got, want) {
				t.Fatalf("SealCID =\n%x, want\n%x", got, want)
			}
			if len(got) != c.SealedLen(inner) {
				t.Errorf("SealCID wrote %d bytes, SealedLen(%d) = %d", len(got), inner, c.SealedLen(inner))
			}
			content, typ, err := c.OpenCID(tt.h, got)
			if err != nil || typ != tt.typ || !bytes.Equal(content, tt.content) {
				t.Fatalf("OpenCID = %x, %v, %v", content, typ, err)
			}
		})
	}
}

func TestSealOpenCIDRoundTrip(t *testing.T) {
	lengths := []int{0, 1, 2, 14, 15, 16, 31, 32, 33, 100, 1000, MaxPlaintext - 2, MaxPlaintext - 1}
	paddings := []int{0, 1, 15, 16, 255}
	cids := [][]byte{{0x77}, testCID, bytes.Repeat([]byte{0x3c}, MaxCIDLen)}
	for _, cc := range cidCipherCases {
		t.Run(cc.name, func(t *testing.T) {
			sealer, opener := cc.new(t), cc.new(t)
			h := testCIDHeader
			for _, cid := range cids {
				for _, n := range lengths {
					for _, padding := range paddings {
						padding = min(padding, MaxPlaintext-1-n)
						h.Seq++
						h.CID = cid
						checkCIDRoundTrip(t, sealer, opener, h, n, padding)
					}
				}
			}
		})
	}
}

func checkCIDRoundTrip(t *testing.T, sealer, opener CIDCipher, h CIDHeader, n, padding int) {
	t.Helper()
	content := testPlaintext(n)
	typ := ContentType(20 + n%5)
	prefix := []byte("previous record")
	datagram := AppendCIDRecord(bytes.Clone(prefix), h, typ, content, padding, sealer)
	if !bytes.HasPrefix(datagram, prefix) {
		t.Fatalf("n=%d, padding %d: AppendCIDRecord overwrote dst", n, padding)
	}
	got, fragment, rest, ok := SplitCID(datagram[len(prefix):], len(h.CID))
	if !ok || len(rest) != 0 {
		t.Fatalf("n=%d, padding %d: SplitCID = %v, %d bytes left", n, padding, ok, len(rest))
	}
	want := h
	want.Length = uint16(sealer.SealedLen(n + 1 + padding))
	if !sameCIDHeader(got, want) || len(fragment) != int(want.Length) {
		t.Fatalf("n=%d, padding %d: header %+v, want %+v", n, padding, got, want)
	}
	opened, gotType, err := opener.OpenCID(got, fragment)
	if err != nil || gotType != typ || !bytes.Equal(opened, content) {
		t.Fatalf("n=%d, padding %d: OpenCID = %d bytes, %v, %v; want %d bytes, %v",
			n, padding, len(opened), gotType, err, n, typ)
	}
}

// TestOpenCIDTampering changes every byte of a whole record, header and CID
// included: the record must then fail to split or fail to authenticate.
func TestOpenCIDTampering(t *testing.T) {
	for _, cc := range cidCipherCases {
		t.Run(cc.name, func(t *testing.T) {
			c := cc.new(t)
			content := []byte("sixteen bytes!!!")
			record := AppendCIDRecord(nil, testCIDHeader, ApplicationData, content, 5, c)
			for i := range record {
				for _, flip := range []byte{0x01, 0x80, 0xff} {
					tampered := bytes.Clone(record)
					tampered[i] ^= flip
					if err := splitOpen(c, tampered, len(testCID)); err == nil {
						t.Errorf("byte %d ^ %#x: the record opened", i, flip)
					}
				}
			}
			// The wrong expected CID length, which moves the length field.
			for _, cidLen := range []int{0, 1, 2, 3, 5, 6, 16} {
				if err := splitOpen(c, record, cidLen); err == nil {
					t.Errorf("expected CID length %d: the record opened", cidLen)
				}
			}
			// Every authenticated field of the header, the CID and its
			// length included, handed to OpenCID directly.
			for _, h := range tamperedCIDHeaders(testCIDHeader) {
				_, fragment, _, _ := SplitCID(record, len(testCID))
				if _, _, err := c.OpenCID(h, bytes.Clone(fragment)); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("header %+v: OpenCID = %v, want ErrBadRecordMAC", h, err)
				}
			}
			// Truncated fragments.
			_, fragment, _, _ := SplitCID(record, len(testCID))
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

// splitOpen splits and opens a copy of a record with a CID of cidLen bytes.
func splitOpen(c CIDCipher, record []byte, cidLen int) error {
	h, fragment, rest, ok := SplitCID(bytes.Clone(record), cidLen)
	if !ok || len(rest) != 0 {
		return errors.New("does not split")
	}
	_, _, err := c.OpenCID(h, fragment)
	return err
}

// tamperedCIDHeaders returns copies of h each with one authenticated field
// changed.
func tamperedCIDHeaders(h CIDHeader) []CIDHeader {
	var hs []CIDHeader
	for _, f := range []func(*CIDHeader){
		func(h *CIDHeader) { h.Version = VersionDTLS10 },
		func(h *CIDHeader) { h.Version ^= 0x0100 },
		func(h *CIDHeader) { h.Epoch++ },
		func(h *CIDHeader) { h.Epoch ^= 0x8000 },
		func(h *CIDHeader) { h.Seq++ },
		func(h *CIDHeader) { h.Seq ^= 1 << 47 },
		func(h *CIDHeader) { h.CID = []byte{0xa1, 0xa2, 0xa3, 0xa5} },
		func(h *CIDHeader) { h.CID = []byte{0x21, 0xa2, 0xa3, 0xa4} },
		func(h *CIDHeader) { h.CID = []byte{0xa1, 0xa2, 0xa3} },
		func(h *CIDHeader) { h.CID = []byte{0xa1, 0xa2, 0xa3, 0xa4, 0x00} },
	} {
		t := h
		f(&t)
		hs = append(hs, t)
	}
	return hs
}

// TestCIDAndPlainRecordsApart checks that a record sealed without a CID
// does not open as one with a CID and the other way round: the two
// additional data never coincide (RFC 9146, Section 5.1).
func TestCIDAndPlainRecordsApart(t *testing.T) {
	for _, cc := range cidCipherCases {
		t.Run(cc.name, func(t *testing.T) {
			c := cc.new(t)
			h := Header{Type: ApplicationData, Version: testCIDHeader.Version, Epoch: testCIDHeader.Epoch, Seq: testCIDHeader.Seq}
			for _, n := range []int{0, 1, 100} {
				plain := c.Seal(nil, h, testPlaintext(n))
				if _, _, err := c.OpenCID(testCIDHeader, plain); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("n=%d: OpenCID of a record without a CID = %v, want ErrBadRecordMAC", n, err)
				}
				withCID := c.SealCID(nil, testCIDHeader, ApplicationData, testPlaintext(n), 0)
				if _, err := c.Open(h, withCID); !errors.Is(err, ErrBadRecordMAC) {
					t.Errorf("n=%d: Open of a record with a CID = %v, want ErrBadRecordMAC", n, err)
				}
			}
		})
	}
}

// TestOpenCIDInnerErrors checks what OpenCID does with authentic records
// whose DTLSInnerPlaintext is all zeros or longer than 2^14 bytes.
func TestOpenCIDInnerErrors(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		typ     ContentType
		padding int
		err     error
	}{
		{"all zeros", nil, 0, 5, ErrNoContentType},
		{"zero type after zero content", make([]byte, 3), 0, 0, ErrNoContentType},
		{"type 0 after content", []byte{7, 8}, 0, 0, nil}, // parses as type 8 with content 07
		{"2^14 bytes", testPlaintext(MaxPlaintext - 1), ApplicationData, 0, nil},
		{"2^14 bytes with padding", nil, ApplicationData, MaxPlaintext - 1, nil},
		{"2^14+1 bytes", testPlaintext(MaxPlaintext), ApplicationData, 0, ErrRecordOverflow},
		{"2^14+1 bytes of padding", nil, ApplicationData, MaxPlaintext, ErrRecordOverflow},
	}
	for _, cc := range cidCipherCases {
		for _, tt := range tests {
			c := cc.new(t)
			fragment := c.SealCID(nil, testCIDHeader, tt.typ, tt.content, tt.padding)
			_, _, err := c.OpenCID(testCIDHeader, fragment)
			if err != tt.err {
				t.Errorf("%s, %s: OpenCID = %v, want %v", cc.name, tt.name, err, tt.err)
			}
		}
	}
}

func TestSealOpenCIDDoesNotAllocate(t *testing.T) {
	for _, cc := range cidCipherCases {
		for _, n := range []int{0, 100, 1000} {
			sealer, opener := cc.new(t), cc.new(t)
			content := testPlaintext(n)
			h := testCIDHeader
			const padding = 7
			buf := make([]byte, 0, h.Len()+sealer.SealedLen(n+1+padding))
			allocs := testing.AllocsPerRun(100, func() {
				h.Seq++
				datagram := AppendCIDRecord(buf, h, ApplicationData, content, padding, sealer)
				got, fragment, _, ok := SplitCID(datagram, len(testCID))
				if !ok {
					t.Fatal("SplitCID failed")
				}
				if _, _, err := opener.OpenCID(got, fragment); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, n=%d: AppendCIDRecord, SplitCID and OpenCID allocate %v times", cc.name, n, allocs)
			}
		}
	}
}
