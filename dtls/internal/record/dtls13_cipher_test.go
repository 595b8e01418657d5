package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

func TestSuite13(t *testing.T) {
	tests := []struct {
		s                   Suite13
		key, iv, tag, hashN int
		name                string
	}{
		{TLS_AES_128_GCM_SHA256, 16, 12, 16, 32, "TLS_AES_128_GCM_SHA256"},
		{TLS_AES_256_GCM_SHA384, 32, 12, 16, 48, "TLS_AES_256_GCM_SHA384"},
		{TLS_CHACHA20_POLY1305_SHA256, 32, 12, 16, 32, "TLS_CHACHA20_POLY1305_SHA256"},
		{TLS_AES_128_CCM_SHA256, 16, 12, 16, 32, "TLS_AES_128_CCM_SHA256"},
		{TLS_AES_128_CCM_8_SHA256, 16, 12, 8, 32, "TLS_AES_128_CCM_8_SHA256"},
	}
	for _, tt := range tests {
		s := tt.s
		if !s.Known() || s.KeyLen() != tt.key || s.IVLen() != tt.iv || s.TagLen() != tt.tag ||
			s.Hash().Size() != tt.hashN || s.String() != tt.name {
			t.Errorf("%v: %v %d %d %d %v", s, s.Known(), s.KeyLen(), s.IVLen(), s.TagLen(), s.Hash())
		}
	}
	for _, s := range []Suite13{0, 0x1300, 0x1306, 0xc02b} {
		if s.Known() || s.KeyLen() != 0 || s.IVLen() != 0 || s.TagLen() != 0 || s.Hash() != 0 {
			t.Errorf("%v is known", s)
		}
		if _, err := NewCipher13(s, make([]byte, 16), make([]byte, 12), make([]byte, 16)); err == nil {
			t.Errorf("NewCipher13(%v) succeeded", s)
		}
	}
	if got := Suite13(0x1306).String(); got != "Suite13(0x1306)" {
		t.Errorf("String() = %q", got)
	}
}

func TestNewCipher13Lengths(t *testing.T) {
	for _, s := range suites13 {
		k, iv := s.KeyLen(), s.IVLen()
		for _, l := range [][3]int{{k - 1, iv, k}, {k + 1, iv, k}, {k, iv - 1, k}, {k, iv + 1, k}, {k, iv, k - 1}, {k, iv, 0}} {
			if _, err := NewCipher13(s, make([]byte, l[0]), make([]byte, l[1]), make([]byte, l[2])); err == nil {
				t.Errorf("%v: NewCipher13 accepted lengths %v", s, l)
			}
		}
	}
}

// TestSNMaskKnownAnswers checks the two masks of record number encryption
// (RFC 9147, Section 4.2.3) against QUIC's header protection, the same
// construction, in the test vectors of RFC 9001, Appendices A.2 (AES) and
// A.5 (ChaCha20): the key, the 16-byte sample, the mask's first 5 bytes.
func TestSNMaskKnownAnswers(t *testing.T) {
	tests := []struct {
		s                  Suite13
		key, sample, mask5 string
	}{
		{TLS_AES_128_GCM_SHA256, "9f50449e04a0e810283a1e9933adedd2", "d1b1c98dd7689fb8ec11d242b123dc9b", "437b9aec36"},
		{TLS_CHACHA20_POLY1305_SHA256, "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4",
			"5e5cd55c41f69080575d7999c25a5bfb", "aefefe7d03"},
	}
	for _, tt := range tests {
		var m snMask
		if err := m.init(tt.s, mustHex(t, tt.key)); err != nil {
			t.Fatal(err)
		}
		if got := m.make(mustHex(t, tt.sample)); !bytes.Equal(got[:5], mustHex(t, tt.mask5)) {
			t.Errorf("%v: mask %x, want %s", tt.s, got, tt.mask5)
		}
	}
	// The largest counter makes the last block of its key stream, and no
	// panic (the sample is the attacker's).
	var m snMask
	m.init(TLS_CHACHA20_POLY1305_SHA256, make([]byte, 32))
	for range 2 {
		m.make(bytes.Repeat([]byte{0xff}, 16))
	}
}

// roundTrip13 seals one record with AppendRecord and opens it with ParseUnified and
// Open, expecting expected, and checks what comes out.
func roundTrip13(t *testing.T, sealer, opener *Cipher13, epoch, seq, expected uint64, cid []byte, typ ContentType, payload []byte, padding int) {
	t.Helper()
	record := sealer.AppendRecord([]byte("prefix"), epoch, seq, cid, typ, payload, padding)[6:]
	sealed := sealer.SealedLen(len(payload), padding)
	if len(record) != HeaderLen13(len(cid))+sealed || sealed < 16 {
		t.Fatalf("record of %d bytes, want %d + %d", len(record), HeaderLen13(len(cid)), sealed)
	}
	flags := byte(0x2c) | EpochBits(epoch)
	if len(cid) > 0 {
		flags |= unifiedC
	}
	if record[0] != flags || !bytes.Equal(record[1:1+len(cid)], cid) ||
		int(binary.BigEndian.Uint16(record[3+len(cid):])) != sealed {
		t.Fatalf("header %x", record[:HeaderLen13(len(cid))])
	}
	hdr, body, rest, err := ParseUnified(append(record, 0x2f), len(cid))
	if err != nil || !bytes.Equal(rest, []byte{0x2f}) {
		t.Fatalf("ParseUnified: %v, rest %x", err, rest)
	}
	gotTyp, content, gotSeq, err := opener.Open(hdr, body, epoch, expected)
	if err != nil || gotTyp != typ || gotSeq != seq || !bytes.Equal(content, payload) {
		t.Fatalf("Open = %v, %x, %#x, %v; want %v, %x, %#x", gotTyp, content, gotSeq, err, typ, payload, seq)
	}
	if cap(content) != len(content) {
		t.Errorf("content's capacity %d runs past its length %d", cap(content), len(content))
	}
}

func TestCipher13RoundTrip(t *testing.T) {
	for _, s := range suites13 {
		for _, cid := range [][]byte{nil, testCID13} {
			for _, n := range []int{0, 1, 7, 100, 1400, MaxPlaintext} {
				for _, padding := range []int{-1, 0, 1, 100} {
					if n+max(padding, 0) > MaxPlaintext {
						continue
					}
					name := fmt.Sprintf("%v/cid%d/%d/pad%d", s, len(cid), n, padding)
					t.Run(name, func(t *testing.T) {
						sealer, opener := newTestCipher13(t, s), newTestCipher13(t, s)
						for _, seq := range []uint64{0, 1, 0xffff, 0x10000, 0x123456789} {
							roundTrip13(t, sealer, opener, 3+seq%7, seq, seq+1-seq%3, cid, ApplicationData, testPlaintext(n), padding)
						}
					})
				}
			}
		}
	}
}

// TestCipher13Padding checks that a short payload is padded to a 16-byte
// encrypted_record, which record number encryption needs, and not more.
func TestCipher13Padding(t *testing.T) {
	for _, s := range suites13 {
		c := newTestCipher13(t, s)
		for n := range 20 {
			want := max(n+1+s.TagLen(), 16)
			if got := c.SealedLen(n, 0); got != want {
				t.Errorf("%v: SealedLen(%d, 0) = %d, want %d", s, n, got, want)
			}
			if got := c.SealedLen(n, 5); got != max(want+5, 16) && got != max(n+6+s.TagLen(), 16) {
				t.Errorf("%v: SealedLen(%d, 5) = %d", s, n, got)
			}
		}
		if got := c.Overhead(3); got != 4+s.TagLen() {
			t.Errorf("%v: Overhead(3) = %d", s, got)
		}
		// CCM_8: a 1-byte alert needs 6 zeros more.
		roundTrip13(t, c, newTestCipher13(t, s), 2, 9, 9, nil, Alert, []byte{1}, 0)
	}
}

func TestCipher13MaxPayload(t *testing.T) {
	for _, s := range suites13 {
		c := newTestCipher13(t, s)
		for _, cidLen := range []int{0, 4, 255} {
			for _, space := range []int{0, 5, HeaderLen13(cidLen) + 15, HeaderLen13(cidLen) + 16, HeaderLen13(cidLen) + 17, HeaderLen13(cidLen) + 18, 100, 1200, 1 << 15} {
				n := c.MaxPayload(space, cidLen)
				if n < 0 || n > MaxPlaintext {
					t.Fatalf("%v: MaxPayload(%d, %d) = %d", s, space, cidLen, n)
				}
				fits := func(n int) bool { return HeaderLen13(cidLen)+c.SealedLen(n, 0) <= space }
				switch {
				case space < HeaderLen13(cidLen)+c.SealedLen(0, 0):
					if n != 0 || fits(0) {
						t.Errorf("%v: MaxPayload(%d, %d) = %d, with nothing fitting", s, space, cidLen, n)
					}
				case !fits(n) || n < MaxPlaintext && fits(n+1):
					t.Errorf("%v: MaxPayload(%d, %d) = %d is not the largest that fits", s, space, cidLen, n)
				}
			}
		}
	}
}

// TestCipher13Tamper flips each bit of a record: the CID, the sequence
// number and the encrypted_record, each authenticated, make
// ErrBadRecordMAC; the flags byte and the length change how the record
// parses, and fail either way.
func TestCipher13Tamper(t *testing.T) {
	for _, s := range suites13 {
		sealer, opener := newTestCipher13(t, s), newTestCipher13(t, s)
		record := sealer.AppendRecord(nil, 3, 0x1234, testCID13, ApplicationData, []byte("attack at dawn"), 2)
		lenOff := 1 + len(testCID13) + 2
		for i := range record {
			for bit := range 8 {
				b := bytes.Clone(record)
				b[i] ^= 1 << bit
				hdr, body, _, err := ParseUnified(b, len(testCID13))
				if err == nil {
					_, _, _, err = opener.Open(hdr, body, 3, 0x1234)
				}
				switch {
				case err == nil:
					t.Fatalf("%v: record with byte %d bit %d flipped opened", s, i, bit)
				case i > 0 && (i < lenOff || i >= lenOff+2) && !errors.Is(err, ErrBadRecordMAC):
					t.Errorf("%v: byte %d bit %d flipped: %v", s, i, bit, err)
				}
			}
		}
		// The record itself still opens, with every header form.
		hdr, body, _, _ := ParseUnified(record, len(testCID13))
		if _, _, _, err := opener.Open(hdr, body, 3, 0x1234); err != nil {
			t.Fatal(err)
		}
	}
}

// sealForm13 seals inner in a unified header of any form, as a peer may
// send it (RFC 9147, Section 4): flags chooses the CID, a 1- or 2-byte
// sequence number, and the length. AppendRecord only sends one form. Like
// AppendRecord, it pads inner to make the encrypted_record 16 bytes long.
func sealForm13(c *Cipher13, flags byte, cid []byte, seq uint64, inner []byte) []byte {
	if n := snSampleLen - c.tag - len(inner); n > 0 {
		inner = append(bytes.Clone(inner), make([]byte, n)...)
	}
	b := append([]byte{flags}, cid...)
	seqOff := len(b)
	if flags&unifiedS != 0 {
		b = binary.BigEndian.AppendUint16(b, uint16(seq))
	} else {
		b = append(b, byte(seq))
	}
	seqEnd := len(b)
	if flags&unifiedL != 0 {
		b = binary.BigEndian.AppendUint16(b, uint16(len(inner)+c.tag))
	}
	h := len(b)
	b = c.aead.Seal(b, c.setNonce(seq), inner, b[:h])
	mask := c.sn.make(b[h:])
	for i := seqOff; i < seqEnd; i++ {
		b[i] ^= mask[i-seqOff]
	}
	return b
}

func TestCipher13HeaderForms(t *testing.T) {
	inner := AppendInnerPlaintext(nil, []byte("form"), Handshake, 20)
	for _, s := range suites13 {
		sealer, opener := newTestCipher13(t, s), newTestCipher13(t, s)
		for _, flags := range []byte{0x20, 0x24, 0x28, 0x2c, 0x30, 0x34, 0x38, 0x3c} {
			var cid []byte
			if flags&unifiedC != 0 {
				cid = testCID13
			}
			for _, seq := range []uint64{0x17f, 0x1ff, 0x200, 0x27d} { // within 127 of 0x1fe
				b := sealForm13(sealer, flags|EpochBits(6), cid, seq, inner)
				hdr, body, rest, err := ParseUnified(b, len(testCID13))
				if err != nil || len(rest) != 0 {
					t.Fatalf("%v %#x: ParseUnified: %v", s, flags, err)
				}
				typ, content, got, err := opener.Open(hdr, body, 6, 0x1fe)
				if err != nil || typ != Handshake || string(content) != "form" || got != seq {
					t.Errorf("%v %#x: Open = %v, %q, %#x, %v; want seq %#x", s, flags, typ, content, got, err, seq)
				}
			}
		}
	}
}

func TestCipher13Errors(t *testing.T) {
	for _, s := range suites13 {
		sealer, opener := newTestCipher13(t, s), newTestCipher13(t, s)
		open := func(record []byte, epoch uint64) error {
			hdr, body, _, err := ParseUnified(record, 0)
			if err != nil {
				return err
			}
			_, _, _, err = opener.Open(hdr, body, epoch, 0)
			return err
		}
		// All zeros: no content type (RFC 8446, Section 5.4).
		if err := open(sealer.AppendRecord(nil, 2, 0, nil, 0, make([]byte, 5), 3), 2); err != ErrNoContentType {
			t.Errorf("%v: all-zero plaintext: %v", s, err)
		}
		// An empty DTLSInnerPlaintext, only possible with a 16-byte tag.
		if s.TagLen() == 16 {
			if err := open(sealForm13(sealer, 0x2e, nil, 0, nil), 2); err != ErrNoContentType {
				t.Errorf("%v: empty plaintext: %v", s, err)
			}
		}
		// 2^14 + 1 bytes is the most (RFC 8446, Section 5.4).
		if err := open(sealer.AppendRecord(nil, 2, 0, nil, Handshake, testPlaintext(MaxPlaintext), 0), 2); err != nil {
			t.Errorf("%v: 2^14 bytes: %v", s, err)
		}
		if err := open(sealer.AppendRecord(nil, 2, 0, nil, Handshake, testPlaintext(MaxPlaintext), 1), 2); err != ErrRecordOverflow {
			t.Errorf("%v: 2^14+2 bytes: %v", s, err)
		}
		// The wrong epoch's bits.
		if err := open(sealer.AppendRecord(nil, 2, 0, nil, Handshake, []byte("x"), 0), 3); err != errEpochBitsOff {
			t.Errorf("%v: epoch bits: %v", s, err)
		}
		// Another epoch's keys, with the same epoch bits.
		other := newCipher13FromSecret(t, s, nextSecret13(t, s, testSecret13[:s.Hash().Size()]))
		if err := open(other.AppendRecord(nil, 2, 0, nil, Handshake, []byte("x"), 0), 6); err != ErrBadRecordMAC {
			t.Errorf("%v: another epoch's keys: %v", s, err)
		}
		// Short encrypted_records, which cannot hold a sample.
		for n := range 16 {
			b := append([]byte{0x2e, 0, 0, 0, byte(n)}, make([]byte, n)...)
			if err := open(b, 2); err != ErrBadRecordMAC {
				t.Errorf("%v: %d-byte record: %v", s, n, err)
			}
		}
		// A header that ParseUnified did not make.
		body := make([]byte, 32)
		for _, hdr := range []string{"", "2e", "2e0000", "2e00000021", "3e00000020", "16fefd"} {
			if _, _, _, err := opener.Open(mustHex(t, hdr), body, 2, 0); err != errBadHeader {
				t.Errorf("%v: Open(%s): %v", s, hdr, err)
			}
		}
	}
}

func TestCipher13Allocs(t *testing.T) {
	for _, s := range suites13 {
		sealer, opener := newTestCipher13(t, s), newTestCipher13(t, s)
		payload := testPlaintext(1000)
		buf := make([]byte, 0, 2000)
		work := make([]byte, 0, 2000)
		seq := uint64(0)
		n := testing.AllocsPerRun(100, func() {
			seq++
			record := sealer.AppendRecord(buf, 3, seq, testCID13, ApplicationData, payload, 0)
			work = append(work[:0], record...)
			hdr, body, _, err := ParseUnified(work, len(testCID13))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := opener.Open(hdr, body, 3, seq); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%v: %v allocations per record", s, n)
		}
	}
}
