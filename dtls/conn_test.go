package dtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

var clean = dgramtest.Impairment{}

func TestSmallDatagramsFragmentWithoutLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.DatagramSize, sc.DatagramSize = 300, 300
		limit := dgramtest.Impairment{MaxSize: 300}
		client, server, cerr, serr := handshakePair(t, cc, sc, limit, limit)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		if r := client.Stats().Retransmissions + server.Stats().Retransmissions; r != 0 {
			t.Errorf("%d retransmissions with a datagram size that fits the link", r)
		}
		if got := client.MaxPayload(); got >= 300-record.HeaderLen || got <= 0 {
			t.Errorf("MaxPayload = %d", got)
		}
		exchange(t, client, server, client.MaxPayload())
	})
}

func TestImpairedLinkHandshakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for i := range 30 {
			imp := dgramtest.Impairment{Loss: 0.1, Duplicate: 0.2, Reorder: 0.3, Delay: 20 * time.Millisecond, Seed: uint64(i)}
			back := imp
			back.Seed += 100
			for _, id := range []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_PSK_WITH_AES_128_GCM_SHA256} {
				cc, sc := suiteConfigs(id, VersionDTLS12)
				if cerr, serr := lossyHandshake(t, cc, sc, imp, back); cerr != nil || serr != nil {
					t.Fatalf("seed %d %s: %v / %v", i, CipherSuiteName(id), cerr, serr)
				}
			}
		}
	})
}

func TestReplayedRecordsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{Duplicate: 1}, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		const n = 10
		for i := range n {
			if _, err := client.Write([]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 100)
		for i := range n {
			k, err := server.Read(buf)
			if err != nil || k != 1 || buf[0] != byte(i) {
				t.Fatalf("read %d: %d %v %x", i, k, err, buf[:k])
			}
		}
		server.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := server.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read after all records: %v, want a deadline error", err)
		}
		if got := server.Stats().ReplayedRecords; got < n {
			t.Errorf("ReplayedRecords = %d, want ≥ %d", got, n)
		}
	})
}

func TestForgedRecordDiscardedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, VersionDTLS12)
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		forged := record.Header{Type: record.ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 1000}
		junk := make([]byte, 64)
		raw := server.nl.conn
		raw.Write(forged.Append(append([]byte(nil), junk...))[:0:0])
		raw.Write(append(forged.Append(nil)[:11], 0, 64, 1, 2))
		d := append(forged.Append(nil)[:11], 0, 64)
		raw.Write(append(d, junk...))
		if _, err := server.Write([]byte("real")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		k, err := client.Read(buf)
		if err != nil || string(buf[:k]) != "real" {
			t.Fatalf("read = %q, %v", buf[:k], err)
		}
		if got := client.Stats().BadRecords; got != 1 {
			t.Errorf("BadRecords = %d, want 1", got)
		}
	})
}

func TestWriteTooLarge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_CBC_SHA, VersionDTLS10)
		client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		max := client.MaxPayload()
		_, err := client.Write(make([]byte, max+1))
		var tooLarge *PayloadTooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Max != max || tooLarge.Size != max+1 {
			t.Fatalf("Write(max+1) = %v", err)
		}
	})
}

func TestCloseNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		client.Close()
		if _, err := server.Read(make([]byte, 10)); err != io.EOF {
			t.Fatalf("read after close_notify = %v, want io.EOF", err)
		}
	})
}

func TestHandshakeFailures(t *testing.T) {
	otherRoots := x509.NewCertPool()
	tests := []struct {
		name   string
		modify func(cc, sc *Config)
		want   Alert
	}{
		{"unknown CA", func(cc, sc *Config) { cc.RootCAs = otherRoots }, AlertUnknownCA},
		{"wrong name", func(cc, sc *Config) { cc.ServerName = "example.com" }, AlertBadCertificate},
		{"no common version", func(cc, sc *Config) {
			sc.MinVersion, sc.MaxVersion = VersionDTLS10, VersionDTLS10
			cc.CipherSuites = []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
			sc.CipherSuites = cc.CipherSuites
		}, AlertProtocolVersion},
		{"no common suite", func(cc, sc *Config) {
			sc.CipherSuites = []uint16{TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
			sc.Certificates = []tls.Certificate{getPKI().rsa}
		}, AlertHandshakeFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				tt.modify(cc, sc)
				_, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
				if !errors.Is(cerr, tt.want) && !errors.Is(serr, tt.want) {
					t.Fatalf("errors %v / %v, want alert %v", cerr, serr, tt.want)
				}
			})
		})
	}
}

func TestVersionNegotiation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, VersionDTLS12)
		cc.MinVersion = VersionDTLS10
		sc.MinVersion, sc.MaxVersion = VersionDTLS10, VersionDTLS10
		client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		if v := client.ConnectionState().Version; v != VersionDTLS10 {
			t.Fatalf("version %#x, want DTLS 1.0", v)
		}
	})
}

func TestHandshakeDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := dgramtest.Pipe(clean, clean) // nobody answers on b
		defer b.Close()
		start := time.Now()
		c := Client(a, &Config{HandshakeTimeout: 5 * time.Second, InsecureSkipVerify: true})
		defer c.Close()
		err := c.Handshake()
		var te *HandshakeTimeoutError
		var ne net.Error
		if !errors.As(err, &te) || !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) != 5*time.Second {
			t.Fatalf("silent peer: %v after %v", err, time.Since(start))
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Config.HandshakeTimeout reported as a context deadline: %v", err)
		}
		if err2 := c.Handshake(); err2 != err {
			t.Errorf("second Handshake = %v, want the first error again", err2)
		}

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(1500*time.Millisecond, cancel)
		a2, b2 := dgramtest.Pipe(clean, clean)
		defer b2.Close()
		c2 := Client(a2, &Config{InsecureSkipVerify: true})
		defer c2.Close()
		if err := c2.HandshakeContext(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled context: %v", err)
		}
		if got := a2.Stats().Sent; got != 2 {
			t.Errorf("silent peer got %d ClientHellos in 1.5 s, want 2 (initial timer 1 s)", got)
		}

		ctx3, cancel3 := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel3()
		a3, b3 := dgramtest.Pipe(clean, clean)
		defer b3.Close()
		c3 := Client(a3, &Config{InsecureSkipVerify: true})
		defer c3.Close()
		err = c3.HandshakeContext(ctx3)
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !te.Timeout() || te.After != 2*time.Second {
			t.Fatalf("expired context: %v", err)
		}
	})
}

func TestSequenceExhaustion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		client.out.cur.seq = record.MaxSeq
		if _, err := client.Write([]byte("last")); err != nil {
			t.Fatalf("write with the last sequence number: %v", err)
		}
		if _, err := client.Write([]byte("one too many")); !errors.Is(err, errSeqExhausted) {
			t.Fatalf("write past the last sequence number: %v", err)
		}
	})
}

func TestPeerSendingUselessRecordsIsCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		server.out.Lock()
		for range maxUselessInRow + 1 {
			server.sendAlertLocked(alertLevelWarning, AlertUserCanceled)
		}
		server.out.Unlock()
		if _, err := client.Read(make([]byte, 10)); !errors.Is(err, errTooManyUseless) {
			t.Fatalf("read = %v, want errTooManyUseless", err)
		}
	})
}

// TestServerNameRequired checks that a client that would verify a
// certificate without a name to verify it for refuses to start, as
// crypto/tls does, unless it offers PSK suites only.
func TestServerNameRequired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := dgramtest.Pipe(clean, clean)
		defer b.Close()
		c := Client(a, &Config{RootCAs: getPKI().roots})
		defer c.Close()
		if err := c.Handshake(); !errors.Is(err, errNoServerName) {
			t.Fatalf("Handshake without ServerName = %v", err)
		}
		if b.Stats().Sent != 0 || a.Stats().Sent != 0 {
			t.Errorf("a datagram was sent")
		}
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.ServerName = ""
		if _, _, cerr, serr := handshakePair(t, cc, sc, clean, clean); cerr != nil || serr != nil {
			t.Fatalf("PSK without ServerName: %v / %v", cerr, serr)
		}
	})
}
