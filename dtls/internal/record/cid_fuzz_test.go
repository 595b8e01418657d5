package record

import (
	"bytes"
	"crypto/aes"
	"errors"
	"testing"
)

// FuzzSplitCID checks that SplitCID never panics and that what it accepts,
// put back together with Append, is the datagram it was given.
func FuzzSplitCID(f *testing.F) {
	for _, tt := range cidHeaderTests {
		f.Add(append(mustHex(f, tt.enc), testPlaintext(int(tt.h.Length))...), uint8(len(tt.h.CID)))
	}
	for _, cc := range cidCipherCases {
		c := cc.new(f)
		record := AppendCIDRecord(nil, testCIDHeader, Handshake, []byte("ping"), 3, c)
		f.Add(append(record, 0x19, 0xfe), uint8(len(testCID)))
		f.Add(record, uint8(len(testCID)+1))
	}
	f.Add([]byte{}, uint8(1))
	f.Add(mustHex(f, "19fefd00010000000000075e0000"), uint8(0))

	f.Fuzz(func(t *testing.T, datagram []byte, cidLen uint8) {
		h, fragment, rest, ok := SplitCID(datagram, int(cidLen))
		if !ok {
			return
		}
		if len(h.CID) != int(cidLen) || cidLen == 0 || int(h.Length) != len(fragment) ||
			h.Length > MaxCiphertext || h.Version>>8 != 254 {
			t.Fatalf("SplitCID accepted %+v with a %d-byte fragment", h, len(fragment))
		}
		got := append(append(h.Append(nil), fragment...), rest...)
		if !bytes.Equal(got, datagram) {
			t.Fatalf("SplitCID→Append = %x, want %x", got, datagram)
		}
	})
}

// FuzzParseInnerPlaintext checks that ParseInnerPlaintext never panics,
// fails only on zeros, and that what it accepts is encoded back exactly by
// AppendInnerPlaintext.
func FuzzParseInnerPlaintext(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0})
	f.Add(AppendInnerPlaintext(nil, []byte("hello"), ApplicationData, 0))
	f.Add(AppendInnerPlaintext(nil, []byte{0, 0}, Handshake, 16))
	f.Add(AppendInnerPlaintext(nil, nil, Alert, 200))
	// A real one: an opened record with a CID.
	for _, cc := range cidCipherCases {
		c := cc.new(f)
		fragment := c.SealCID(nil, testCIDHeader, Heartbeat, testPlaintext(40), 9)
		inner := decryptInner(f, c, fragment)
		f.Add(inner)
	}

	f.Fuzz(func(t *testing.T, inner []byte) {
		content, typ, ok := ParseInnerPlaintext(inner)
		if !ok {
			if len(bytes.Trim(inner, "\x00")) != 0 {
				t.Fatalf("ParseInnerPlaintext(%x) failed", inner)
			}
			return
		}
		if typ == 0 {
			t.Fatalf("ParseInnerPlaintext(%x) gave type 0", inner)
		}
		padding := len(inner) - len(content) - 1
		if got := AppendInnerPlaintext(nil, content, typ, padding); !bytes.Equal(got, inner) {
			t.Fatalf("ParseInnerPlaintext→AppendInnerPlaintext = %x, want %x", got, inner)
		}
	})
}

// decryptInner returns the DTLSInnerPlaintext of a fragment sealed by the
// test cipher c, decrypted without authentication.
func decryptInner(tb testing.TB, c CIDCipher, fragment []byte) []byte {
	tb.Helper()
	switch c := c.(type) {
	case *aeadCipher:
		ad := appendCIDAdditionalData(nil, testCIDHeader, len(fragment)-c.overhead)
		nonce := c.setNonce(testCIDHeader.Epoch, testCIDHeader.Seq)
		copy(nonce[aeadNonceLen-c.explicit:], fragment[:c.explicit])
		inner, err := c.aead.Open(nil, nonce, fragment[c.explicit:], ad)
		if err != nil {
			tb.Fatal(err)
		}
		return inner
	case *cbcCipher:
		body, n, padGood, ok := c.decrypt(bytes.Clone(fragment))
		if !ok || padGood != 1 {
			tb.Fatal("cannot decrypt")
		}
		return body[:n]
	}
	tb.Fatalf("no decryption for %T", c)
	return nil
}

// FuzzOpenCID checks that OpenCID never panics, and that the only records
// that authenticate are those SealCID produces: the seeds are real records,
// and no mutation of them may open.
func FuzzOpenCID(f *testing.F) {
	gcm := newTestGCM(f).(*aeadCipher)
	cbc := newTestCBC(f, nil).(*cbcCipher)
	for _, n := range []int{0, 1, 16, 100} {
		h := testCIDHeader
		h.Seq += uint64(n)
		f.Add(AppendCIDRecord(nil, h, ApplicationData, testPlaintext(n), n%3, gcm))
		f.Add(AppendCIDRecord(nil, h, Handshake, testPlaintext(n), n%7, cbc))
	}

	f.Fuzz(func(t *testing.T, record []byte) {
		h, fragment, _, ok := SplitCID(record, len(testCID))
		if !ok {
			return
		}
		original := bytes.Clone(fragment)
		for _, c := range []CIDCipher{gcm, cbc} {
			content, typ, err := c.OpenCID(h, bytes.Clone(original))
			if err != nil {
				if !errors.Is(err, ErrBadRecordMAC) {
					t.Fatalf("OpenCID = %v, want ErrBadRecordMAC", err)
				}
				continue
			}
			// Re-seal with the record's IV: an authentic record has the
			// least CBC padding, as SealCID writes it.
			if c == cbc {
				cbc.rand = bytes.NewReader(original[:aes.BlockSize])
			}
			padding := innerLen(c, original) - len(content) - 1
			if resealed := c.SealCID(nil, h, typ, content, padding); !bytes.Equal(resealed, original) {
				t.Fatalf("forged record %x opened", original)
			}
		}
	})
}

// innerLen returns the length of the DTLSInnerPlaintext of an authentic
// fragment sealed by c.
func innerLen(c CIDCipher, fragment []byte) int {
	switch c := c.(type) {
	case *aeadCipher:
		return len(fragment) - c.overhead
	case *cbcCipher:
		_, n, _, _ := c.decrypt(bytes.Clone(fragment))
		return n
	}
	return -1
}
