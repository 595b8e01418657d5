package dtls

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
)

// A batchPumpLink is a pumpLink that takes batches, and records them.
type batchPumpLink struct {
	*pumpLink
	batches [][]RecordID
	failAt  int // WriteDatagrams refuses the datagram at this index, if positive
}

func (l *batchPumpLink) WriteDatagrams(ds [][]byte, firsts []RecordID) (int, error) {
	if len(ds) != len(firsts) {
		return 0, fmt.Errorf("%d datagrams, %d record IDs", len(ds), len(firsts))
	}
	l.batches = append(l.batches, append([]RecordID(nil), firsts...))
	for i, d := range ds {
		if l.failAt > 0 && i == l.failAt {
			return i, ErrMessageTooLong
		}
		l.WriteDatagram(d, firsts[i])
	}
	return len(ds), nil
}

// TestWriteBatch checks WriteBatch over a Link, one datagram at a time,
// and over a BatchLink, in one call: every record arrives, in order, each
// datagram named by its record's epoch and sequence number.
func TestWriteBatch(t *testing.T) {
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprint("batched=", batched), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				client, server, cl, _ := pumpPair(t, cc, sc)
				defer client.Close()
				defer server.Close()
				bl := &batchPumpLink{pumpLink: cl}
				if batched {
					client.link = bl
				}
				bufs := make([][]byte, 20)
				for i := range bufs {
					bufs[i] = []byte(fmt.Sprintf("record %d", i))
				}
				seq := client.out.cur.seq
				if n, err := client.WriteBatch(bufs); n != len(bufs) || err != nil {
					t.Fatalf("WriteBatch = %d, %v", n, err)
				}
				if got := cl.pump(); got != len(bufs) {
					t.Fatalf("%d datagrams sent, want %d", got, len(bufs))
				}
				for i, want := range bufs {
					buf := make([]byte, 100)
					if n, err := server.Read(buf); err != nil || string(buf[:n]) != string(want) {
						t.Fatalf("record %d: %q, %v", i, buf[:n], err)
					}
				}
				if batched {
					if len(bl.batches) != 1 || len(bl.batches[0]) != len(bufs) {
						t.Fatalf("the link saw %d batches, want one of %d", len(bl.batches), len(bufs))
					}
					for i, id := range bl.batches[0] {
						if id.Epoch != 1 || id.Seq != seq+uint64(i) {
							t.Fatalf("datagram %d named %+v, want epoch 1, sequence %d", i, id, seq+uint64(i))
						}
					}
				}
			})
		})
	}
}

// TestWriteBatchErrors checks the ends of a batch: a buffer too large for
// the path, and a link that refuses a datagram.
func TestWriteBatchErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cl, _ := pumpPair(t, cc, sc)
		defer client.Close()
		defer server.Close()
		bufs := [][]byte{[]byte("a"), []byte("b"), make([]byte, client.MaxPayload()+1), []byte("c")}
		n, err := client.WriteBatch(bufs)
		var ptl *PayloadTooLargeError
		if n != 2 || !errors.As(err, &ptl) || ptl.Max != client.MaxPayload() {
			t.Fatalf("WriteBatch with a buffer too large = %d, %v; want 2, *PayloadTooLargeError", n, err)
		}
		if got := cl.pump(); got != 2 {
			t.Fatalf("%d datagrams sent, want 2", got)
		}
		bl := &batchPumpLink{pumpLink: cl, failAt: 1}
		client.link = bl
		if n, err := client.WriteBatch(bufs[:2]); n != 1 || !errors.Is(err, ErrMessageTooLong) {
			t.Fatalf("WriteBatch through a refusing link = %d, %v; want 1, ErrMessageTooLong", n, err)
		}
		client.link = cl
		if n, err := client.Write([]byte("still open")); n == 0 || err != nil {
			t.Fatalf("Write after a refused batch = %d, %v", n, err)
		}
	})
}
