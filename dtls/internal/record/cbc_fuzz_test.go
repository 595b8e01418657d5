package record

import (
	"bytes"
	"crypto/aes"
	"errors"
	"testing"
)

// FuzzOpenCBC checks that Open never panics in any CBC variant, and that
// the only fragments that authenticate are those Seal produces: the seeds
// are real records of every variant, and no mutation of them may open, nor
// may a record of one variant open in another.
func FuzzOpenCBC(f *testing.F) {
	ciphers := make([]*cbcCipher, len(cbcVariants))
	for i, v := range cbcVariants {
		ciphers[i] = v.new(f, nil)
		for _, n := range []int{0, 1, 11, 12, 27, 100} {
			h := testHeader
			h.Seq += uint64(n)
			f.Add(uint8(h.Type), h.Version, h.Epoch, h.Seq, sealRecord(ciphers[i], h, testPlaintext(n)))
		}
	}
	for _, n := range []int{48, 52, 64, 80} {
		f.Add(uint8(ApplicationData), VersionDTLS10, uint16(1), uint64(0), make([]byte, n))
	}

	f.Fuzz(func(t *testing.T, typ uint8, version, epoch uint16, seq uint64, fragment []byte) {
		h := Header{Type: ContentType(typ), Version: version, Epoch: epoch, Seq: seq & MaxSeq}
		for i, c := range ciphers {
			plaintext, err := c.Open(h, bytes.Clone(fragment))
			if err != nil {
				if !errors.Is(err, ErrBadRecordMAC) {
					t.Fatalf("%s: Open = %v, want ErrBadRecordMAC", cbcVariants[i].name, err)
				}
				continue
			}
			// Re-seal with the record's IV: an authentic record has the
			// least padding, as Seal writes it.
			c.rand = bytes.NewReader(fragment[:aes.BlockSize])
			if resealed := c.Seal(nil, h, plaintext); !bytes.Equal(resealed, fragment) {
				t.Fatalf("%s: forged fragment %x opened", cbcVariants[i].name, fragment)
			}
		}
	})
}

// FuzzOpenCIDCBC is FuzzOpenCBC for records with a connection ID, whole
// records split by SplitCID.
func FuzzOpenCIDCBC(f *testing.F) {
	ciphers := make([]*cbcCipher, len(cbcVariants))
	for i, v := range cbcVariants {
		ciphers[i] = v.new(f, nil)
		for _, n := range []int{0, 1, 16, 100} {
			h := testCIDHeader
			h.Seq += uint64(n)
			f.Add(AppendCIDRecord(nil, h, Handshake, testPlaintext(n), n%7, ciphers[i]))
		}
	}

	f.Fuzz(func(t *testing.T, record []byte) {
		h, fragment, _, ok := SplitCID(record, len(testCID))
		if !ok {
			return
		}
		for i, c := range ciphers {
			content, typ, err := c.OpenCID(h, bytes.Clone(fragment))
			if err != nil {
				if !errors.Is(err, ErrBadRecordMAC) {
					t.Fatalf("%s: OpenCID = %v, want ErrBadRecordMAC", cbcVariants[i].name, err)
				}
				continue
			}
			_, n, _, _ := c.decrypt(bytes.Clone(fragment)) // the DTLSInnerPlaintext's length
			c.rand = bytes.NewReader(fragment[:aes.BlockSize])
			if resealed := c.SealCID(nil, h, typ, content, n-len(content)-1); !bytes.Equal(resealed, fragment) {
				t.Fatalf("%s: forged record %x opened", cbcVariants[i].name, record)
			}
		}
	})
}
