package record

import (
	"strconv"
	"testing"
)

// BenchmarkSealOpen13 seals a DTLS 1.3 record and opens it again per op,
// through AppendRecord, ParseUnified and Open as the data path uses them,
// with a 4-byte connection ID. BenchmarkBaselineAEAD is its floor: the
// difference is the header, the inner plaintext and the two masks of
// record number encryption.
func BenchmarkSealOpen13(b *testing.B) {
	for _, s := range suites13 {
		for _, n := range benchSizes {
			b.Run(s.String()+"/"+strconv.Itoa(n), func(b *testing.B) {
				sealer, opener := newTestCipher13(b, s), newTestCipher13(b, s)
				payload := testPlaintext(n)
				buf := make([]byte, 0, HeaderLen13(len(testCID13))+sealer.SealedLen(n, 0))
				seq := uint64(0)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					record := sealer.AppendRecord(buf, 3, seq, testCID13, ApplicationData, payload, 0)
					hdr, body, _, err := ParseUnified(record, len(testCID13))
					if err != nil {
						b.Fatal(err)
					}
					if _, _, _, err := opener.Open(hdr, body, 3, seq); err != nil {
						b.Fatal(err)
					}
					seq++
				}
			})
		}
	}
}
