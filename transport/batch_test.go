package transport

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/sock"
)

// numbered returns n records of size bytes, each starting with its number.
func numbered(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte(i)}, size)
		copy(out[i], fmt.Sprintf("%04d", i))
	}
	return out
}

// readAll reads len(want) records from c and checks them against want, in
// order.
func readAll(t *testing.T, c *Conn, want [][]byte) {
	t.Helper()
	buf := make([]byte, 65536)
	for i, w := range want {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], w) {
			t.Fatalf("record %d: got %q..., want %q...", i, buf[:min(n, 8)], w[:min(len(w), 8)])
		}
	}
}

// TestWriteBatch sends batches through the in-memory network, which reads
// and writes batches as recvmmsg and sendmmsg do, in virtual time: the
// records arrive whole and in order, both ways, and a record too large
// ends its batch with the records before it sent.
func TestWriteBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, c := established(t)
		want := numbered(80, 700) // within the receive queue (64 KiB)
		if n, err := c.WriteBatch(want); err != nil || n != len(want) {
			t.Fatalf("WriteBatch = %d, %v", n, err)
		}
		readAll(t, c, want) // the server echoes

		tooLarge := append(numbered(3, 100), make([]byte, c.MaxPayload()+1), []byte("after"))
		n, err := c.WriteBatch(tooLarge)
		var ptl *dtls.PayloadTooLargeError
		if n != 3 || !errors.As(err, &ptl) {
			t.Fatalf("WriteBatch with a record too large = %d, %v; want 3, a *dtls.PayloadTooLargeError", n, err)
		}
		readAll(t, c, tooLarge[:3])
		if n, err := c.WriteBatch(nil); n != 0 || err != nil {
			t.Fatalf("WriteBatch(nil) = %d, %v", n, err)
		}
	})
}

// TestWriteBatchLoopback sends batches over the loopback, where Linux
// segments runs of equal size (UDP_SEGMENT) and the listener reads with
// recvmmsg and coalescing (UDP_GRO), and checks what arrives, and that the
// system's offloads were used where it has them.
func TestWriteBatchLoopback(t *testing.T) {
	c, s := loopbackPair(t)
	for _, size := range []int{4, 100, 1000, c.MaxPayload()} {
		want := numbered(32, size) // within the receive queue (64 KiB)
		if n, err := c.WriteBatch(want); err != nil || n != len(want) {
			t.Fatalf("%d-byte records: WriteBatch = %d, %v", size, n, err)
		}
		readAll(t, s, want)
	}
	if !c.Capabilities().GSO {
		t.Logf("no UDP segmentation here: batches went by sendmmsg or one by one")
		return
	}
	o, ok := c.a.sock.Conn().(sock.Offloader)
	if !ok {
		t.Fatal("the client's socket offers GSO but is no sock.Offloader")
	}
	if st := o.OffloadStats(); st.GSOSends == 0 {
		t.Errorf("no segmented send: %+v", st)
	}
}
