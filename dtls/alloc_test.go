package dtls

import (
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// TestDataPathDoesNotAllocate checks that a Write and the Read that
// receives it allocate nothing per record once the handshake is done: the
// record is sealed in place, opened in place, and queued for Read in a
// pooled buffer.
func TestDataPathDoesNotAllocate(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector makes sync.Pool drop buffers: allocations are counted without it")
	}
	for _, id := range []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA} {
		synctest.Test(t, func(t *testing.T) {
			cc, sc := suiteConfigs(id, VersionDTLS12)
			client, server, cl, _ := pumpPair(t, cc, sc)
			defer client.Close()
			defer server.Close()
			msg, buf := make([]byte, 1000), make([]byte, 2000)
			allocs := testing.AllocsPerRun(1000, func() {
				if _, err := client.Write(msg); err != nil {
					t.Fatal(err)
				}
				cl.pump()
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
