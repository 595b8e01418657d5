package dtls

import (
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// wire is a one-datagram mailbox shared by two loopConns: the smallest
// datagram connection that allocates nothing, for measuring the Conn itself.
type wire struct {
	buf []byte
	n   int
}

type loopConn struct {
	net.Conn // only Read and Write are used after the handshake
	w        *wire
}

func (l loopConn) Write(b []byte) (int, error) { l.w.n = copy(l.w.buf, b); return len(b), nil }
func (l loopConn) Read(b []byte) (int, error)  { return copy(b, l.w.buf[:l.w.n]), nil }
func (l loopConn) SetReadDeadline(time.Time) error {
	return nil
}

// TestDataPathDoesNotAllocate checks that a Write and the Read that
// receives it allocate nothing per record once the handshake is done.
func TestDataPathDoesNotAllocate(t *testing.T) {
	for _, id := range []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA} {
		synctest.Test(t, func(t *testing.T) {
			cc, sc := suiteConfigs(id, VersionDTLS12)
			client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
			if cerr != nil || serr != nil {
				t.Fatalf("handshake: %v / %v", cerr, serr)
			}
			w := &wire{buf: make([]byte, 1<<16)}
			client.conn, server.conn = loopConn{client.conn, w}, loopConn{server.conn, w}
			msg, buf := make([]byte, 1000), make([]byte, 2000)
			allocs := testing.AllocsPerRun(1000, func() {
				if _, err := client.Write(msg); err != nil {
					t.Fatal(err)
				}
				if n, err := server.Read(buf); err != nil || n != len(msg) {
					t.Fatal(n, err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s: %v allocations per Write+Read, want 0", CipherSuiteName(id), allocs)
			}
		})
	}
}
