package pion

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	dtls4 "github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v4/pkg/crypto/elliptic"
)

// checkGoroutines fails t if, once its cleanups have run, more goroutines
// are left than when it started (within a grace period for the peers'
// goroutines to see their sockets closed).
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// TestPeer13Sanity runs the DTLS 1.3 peer helpers against each other: a
// pion/dtls v4 client through peer13Echo to a peer13Server, with
// certificates, a PSK, a HelloRetryRequest, connection IDs and the
// peer's defaults; nothing is left running afterwards.
func TestPeer13Sanity(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	psk := &dtls4.PSK{Identity: pskIdentity13, Key: psk13}
	cases := []struct {
		name           string
		server, client peer13Config
		suite          ciphersuite.ID
	}{{
		name:   "certificate",
		server: peer13Config{Certificate: &cert, Suites: []ciphersuite.ID{ciphersuite.TLS_AES_128_GCM_SHA256}},
		client: peer13Config{RootCAs: pool},
		suite:  ciphersuite.TLS_AES_128_GCM_SHA256,
	}, {
		name:   "psk",
		server: peer13Config{PSK: psk},
		client: peer13Config{PSK: psk, Suites: []ciphersuite.ID{ciphersuite.TLS_CHACHA20_POLY1305_SHA256}},
		suite:  ciphersuite.TLS_CHACHA20_POLY1305_SHA256,
	}, {
		name:   "hello retry",
		server: peer13Config{Certificate: &cert, Curves: []elliptic.Curve{elliptic.P256}},
		client: peer13Config{RootCAs: pool, Curves: []elliptic.Curve{elliptic.X25519, elliptic.P256},
			Suites: []ciphersuite.ID{ciphersuite.TLS_AES_256_GCM_SHA384}},
		suite: ciphersuite.TLS_AES_256_GCM_SHA384,
	}, {
		name:   "connection IDs",
		server: peer13Config{Certificate: &cert, CID: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		client: peer13Config{InsecureSkipVerify: true, CID: []byte{9, 9, 9, 9}},
		suite:  ciphersuite.TLS_AES_128_GCM_SHA256,
	}, {
		name:   "defaults",
		server: peer13Config{Certificate: &cert},
		client: peer13Config{RootCAs: pool},
		suite:  ciphersuite.TLS_AES_128_GCM_SHA256,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startPeer13Server(t, tc.server, "echo: ")
			line := []byte("ping " + tc.name)
			got, st, err := peer13Echo(t, s.Addr, tc.client, line)
			if err != nil {
				t.Fatalf("client: %v (server: %v)", err, s.Errs())
			}
			if want := append([]byte("echo: "), line...); !bytes.Equal(got, want) {
				t.Fatalf("echo %q, want %q", got, want)
			}
			if st.CipherSuiteID != tc.suite {
				t.Errorf("suite %v, want %v", st.CipherSuiteID, tc.suite)
			}
			select {
			case r := <-s.Received:
				if !bytes.Equal(r, line) {
					t.Errorf("server received %q, want %q", r, line)
				}
			case <-time.After(tc.client.timeout()):
				t.Fatal("the server reports nothing received")
			}
			if errs := s.Errs(); len(errs) > 0 {
				t.Errorf("server errors: %v", errs)
			}
		})
	}
}
