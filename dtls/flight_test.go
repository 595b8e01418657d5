package dtls

import (
	"slices"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// TestPackBalanced checks that a flight's datagrams come out about the same
// size, in as few datagrams as the size limit allows.
func TestPackBalanced(t *testing.T) {
	a, b := dgramtest.Pipe(dgramtest.Impairment{}, dgramtest.Impairment{})
	defer a.Close()
	defer b.Close()
	c := Client(a, nil)
	for _, bodies := range [][]int{{60, 6100, 110, 0}, {3000}, {100}, {1400, 1400, 1400}} {
		c.out.flight = nil
		for i, n := range bodies {
			c.out.flight = append(c.out.flight, fragment.Out{Type: handshake.TypeCertificate, Seq: uint16(i), Body: make([]byte, n)})
		}
		for _, limit := range []int{300, 1232, 1452, 9000} {
			greedy, err := fragment.Pack(c.out.flight, limit, c.out.maxPlaintext)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.packBalanced(new(packerPair), limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(greedy) {
				t.Fatalf("bodies %v, limit %d: %d datagrams, greedy packing needs %d", bodies, limit, len(got), len(greedy))
			}
			sizes := make([]int, len(got))
			for i, d := range got {
				for _, r := range d {
					sizes[i] += record.HeaderLen + len(r.Payload)
				}
			}
			// Unevenness comes only from message boundaries: each costs
			// a handshake header, and a record header if a record ends.
			slack := (record.HeaderLen + handshake.HeaderLen) * (len(bodies) + 1)
			if slices.Max(sizes) > limit || slices.Max(sizes)-slices.Min(sizes) > slack {
				t.Errorf("bodies %v, limit %d: datagram sizes %v", bodies, limit, sizes)
			}
		}
	}
}
