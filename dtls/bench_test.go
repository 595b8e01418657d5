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

// benchmarkPumpHandshake measures a handshake (cookie exchange included)
// between two Conns joined by pumpLinks: the engine alone, with no
// datagram connection or goroutine of its own, as package transport runs
// it. resumeBy is "" for full handshakes, else "ticket" or "ID" for ones
// that resume the session of a first, full one.
func benchmarkPumpHandshake(b *testing.B, id uint16, resumeBy string) {
	b.ReportAllocs()
	cc, sc := suiteConfigs(id, VersionDTLS12)
	resume := resumeBy != ""
	if resume {
		cc.ClientSessionCache = NewLRUClientSessionCache(1)
		sc.SessionTicketsDisabled = resumeBy == "ID"
		pumpHandshake(b, cc, sc) // the session to resume
	}
	var wire, datagrams int
	for b.Loop() {
		n, d, resumed := pumpHandshake(b, cc, sc)
		wire, datagrams = wire+n, datagrams+d
		if resumed != resume {
			b.Fatalf("resumed %v, want %v", resumed, resume)
		}
	}
	b.ReportMetric(float64(wire)/float64(b.N), "wire-bytes/op")
	b.ReportMetric(float64(datagrams)/float64(b.N), "datagrams/op")
}

// pumpHandshake runs one handshake over pumpLinks and returns the bytes
// and datagrams both sides sent, and whether it resumed a session.
func pumpHandshake(b *testing.B, cc, sc *Config) (wire, datagrams int, resumed bool) {
	cl := &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 1}}
	sl := &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 2}}
	client, server := ClientOn(cl, cc), ServerOn(sl, sc)
	cl.peer, sl.peer = server, client
	client.start()
	for !client.handshakeDone.Load() || !server.handshakeDone.Load() {
		if cl.pump()+sl.pump() == 0 {
			b.Fatalf("stalled: client %v, server %v", client.hsErr, server.hsErr)
		}
	}
	wire, datagrams = cl.sentBytes+sl.sentBytes, cl.sentDatagrams+sl.sentDatagrams
	resumed = client.ConnectionState().DidResume
	client.Close()
	server.Close()
	return wire, datagrams, resumed
}

func BenchmarkPumpHandshakeECDSA(b *testing.B) {
	benchmarkPumpHandshake(b, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "")
}

func BenchmarkPumpHandshakePSK(b *testing.B) {
	benchmarkPumpHandshake(b, TLS_PSK_WITH_AES_128_GCM_SHA256, "")
}

// BenchmarkPumpHandshakeResumed measures handshakes that resume an
// ECDHE-ECDSA session by ticket and by session ID (cookie exchange
// included), beside BenchmarkPumpHandshakeECDSA's full ones.
func BenchmarkPumpHandshakeResumed(b *testing.B) {
	for _, by := range []string{"ticket", "ID"} {
		b.Run(by, func(b *testing.B) {
			benchmarkPumpHandshake(b, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, by)
		})
	}
}

// BenchmarkPumpHandshake13 measures DTLS 1.3 handshakes (a
// HelloRetryRequest with a cookie included), with an ECDSA certificate and
// with an external PSK (psk_dhe_ke), beside the DTLS 1.2 ones above.
func BenchmarkPumpHandshake13(b *testing.B) {
	for _, psk := range []bool{false, true} {
		name := "ECDSA"
		if psk {
			name = "PSK"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cc, sc := config13(psk)
			var wire, datagrams int
			for b.Loop() {
				n, d, _ := pumpHandshake(b, cc, sc)
				wire, datagrams = wire+n, datagrams+d
			}
			b.ReportMetric(float64(wire)/float64(b.N), "wire-bytes/op")
			b.ReportMetric(float64(datagrams)/float64(b.N), "datagrams/op")
		})
	}
}
