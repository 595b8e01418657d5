package dtls

import (
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// benchmarkHandshake measures full handshakes (with the cookie exchange)
// over an in-memory link.
func benchmarkHandshake(b *testing.B, id uint16) {
	b.ReportAllocs()
	for b.Loop() {
		cc, sc := suiteConfigs(id, VersionDTLS12)
		x, y := dgramtest.Pipe(dgramtest.Impairment{}, dgramtest.Impairment{})
		client, server := Client(x, cc), Server(y, sc)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := server.Handshake(); err != nil {
				b.Error(err)
			}
		}()
		if err := client.Handshake(); err != nil {
			b.Fatal(err)
		}
		wg.Wait()
		client.Close()
		server.Close()
	}
}

func BenchmarkHandshakeECDHEECDSAP256AES128GCM(b *testing.B) {
	benchmarkHandshake(b, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
}

func BenchmarkHandshakePSKAES128GCM(b *testing.B) {
	benchmarkHandshake(b, TLS_PSK_WITH_AES_128_GCM_SHA256)
}
