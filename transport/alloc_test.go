package transport

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
)

// TestDataPathDoesNotAllocate checks, over real loopback sockets, that a
// record written by a client and read by the server's application costs no
// allocation once the association is up: sealing, the socket's send, the
// listener's read and demultiplexing, opening and queueing included.
func TestDataPathDoesNotAllocate(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector makes sync.Pool drop buffers: allocations are counted without it")
	}
	for _, cid := range []bool{false, true} {
		t.Run(fmt.Sprintf("connection IDs %v", cid), func(t *testing.T) {
			cc, sc := configs(t, getPKI(t).ecdsa)
			if cid {
				cc.ConnectionID = &dtls.ConnectionIDConfig{Length: 0}
				sc.ConnectionID = &dtls.ConnectionIDConfig{Length: 8}
			}
			checkDataPathAllocs(t, cc, sc)
		})
	}
	t.Run("with a Logger at Info", func(t *testing.T) {
		cc, sc := configs(t, getPKI(t).ecdsa)
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		cc.Logger, sc.Logger = logger, logger
		checkDataPathAllocs(t, cc, sc)
	})
	for _, cid := range []bool{false, true} {
		t.Run(fmt.Sprintf("DTLS 1.3, connection IDs %v", cid), func(t *testing.T) {
			cc, sc := configs(t, getPKI(t).ecdsa)
			cc.MaxVersion, sc.MaxVersion = dtls.VersionDTLS13, dtls.VersionDTLS13
			if cid {
				cc.ConnectionID = &dtls.ConnectionIDConfig{Length: 4}
				sc.ConnectionID = &dtls.ConnectionIDConfig{Length: 8}
			}
			checkDataPathAllocs(t, cc, sc)
		})
	}
}

// checkDataPathAllocs checks that a record from a client of cc to a
// listener of sc costs no allocation.
func checkDataPathAllocs(t *testing.T, cc, sc *dtls.Config) {
	l, err := (&ListenConfig{DisableProbing: true}).Listen(context.Background(), "udp", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := (&Dialer{DisableProbing: true}).Dial(ctx, "udp", l.Addr().String(), cc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.AcceptContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msg, buf := make([]byte, 1000), make([]byte, 2000)
	allocs := testing.AllocsPerRun(2000, func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Read(buf); err != nil || n != len(msg) {
			t.Fatal(n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record, want 0", allocs)
	}
}

// TestBatchDataPathDoesNotAllocate is TestDataPathDoesNotAllocate for
// WriteBatch: a batch of records written at once, sent with sendmmsg and
// segmentation where the system has them, read one by one by the server.
func TestBatchDataPathDoesNotAllocate(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector makes sync.Pool drop buffers: allocations are counted without it")
	}
	c, s := loopbackPair(t)
	batch := make([][]byte, 32)
	for i := range batch {
		batch[i] = make([]byte, 1000)
	}
	buf := make([]byte, 2000)
	allocs := testing.AllocsPerRun(200, func() {
		if n, err := c.WriteBatch(batch); err != nil || n != len(batch) {
			t.Fatal(n, err)
		}
		for range batch {
			if n, err := s.Read(buf); err != nil || n != 1000 {
				t.Fatal(n, err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch of %d records, want 0", allocs, len(batch))
	}
}

// loopbackPair returns a client association over the loopback and the
// server's end of it, without probing, closed when the test ends.
func loopbackPair(t *testing.T) (c, s *Conn) {
	t.Helper()
	cc, sc := configs(t, getPKI(t).ecdsa)
	l, err := (&ListenConfig{DisableProbing: true}).Listen(context.Background(), "udp", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err = (&Dialer{DisableProbing: true}).Dial(ctx, "udp", l.Addr().String(), cc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if s, err = l.AcceptContext(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}
