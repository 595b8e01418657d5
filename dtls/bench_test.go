package dtls

import (
	"net"
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

// benchmarkPumpHandshake measures a full handshake (cookie exchange
// included) between two Conns joined by pumpLinks: the engine alone, with
// no datagram connection or goroutine of its own, as package transport
// runs it.
func benchmarkPumpHandshake(b *testing.B, id uint16) {
	b.ReportAllocs()
	cc, sc := suiteConfigs(id, VersionDTLS12)
	for b.Loop() {
		cl := &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 1}}
		sl := &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 2}}
		client, server := ClientOn(cl, cc), ServerOn(sl, sc)
		cl.peer, sl.peer = server, client
		client.start()
		for !client.handshakeDone.Load() {
			if cl.pump()+sl.pump() == 0 {
				b.Fatalf("stalled: client %v, server %v", client.hsErr, server.hsErr)
			}
		}
		client.Close()
		server.Close()
	}
}

func BenchmarkPumpHandshakeECDSA(b *testing.B) {
	benchmarkPumpHandshake(b, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
}

func BenchmarkPumpHandshakePSK(b *testing.B) {
	benchmarkPumpHandshake(b, TLS_PSK_WITH_AES_128_GCM_SHA256)
}
