package record

import (
	"strconv"
	"testing"
)

// BenchmarkCBCModes seals a record and opens it again per op, through
// AppendRecord, Split and Open, for each CBC variant: HMAC-SHA1 or
// HMAC-SHA256, MAC then encrypt or encrypt then MAC.
func BenchmarkCBCModes(b *testing.B) {
	for _, v := range cbcVariants {
		for _, n := range []int{100, 1000} {
			b.Run(v.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				sealer, opener := v.new(b, nil), v.new(b, nil)
				plaintext := testPlaintext(n)
				buf := make([]byte, 0, HeaderLen+sealer.SealedLen(n))
				h := testHeader
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					h.Seq++
					datagram := AppendRecord(buf, h, plaintext, sealer)
					got, fragment, _, ok := Split(datagram)
					if !ok {
						b.Fatal("Split failed")
					}
					if _, err := opener.Open(got, fragment); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
