package pion

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/transport"
	dtls4 "github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v4/pkg/crypto/elliptic"
)

// our13 returns our DTLS 1.3-only Config: with a certificate (cert not
// nil) or the capture's external PSK.
func our13(cert *tls.Certificate) *dtls.Config {
	c := &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
		return c
	}
	c.PSK = func([]byte) ([]byte, error) { return psk13, nil }
	c.PSKIdentity = pskIdentity13
	return c
}

// cases13 are the interop cases: pion's side, ours, and the suite both
// must agree on.
type case13 struct {
	name  string
	pion  peer13Config
	ours  func(*dtls.Config)
	suite uint16
	group tls.CurveID // the group both must agree on, if not 0
}

func interopCases13(t *testing.T) (tls.Certificate, []case13) {
	cert, pool := selfSigned(t)
	psk := &dtls4.PSK{Identity: pskIdentity13, Key: psk13}
	cases := []case13{
		{"certificate", peer13Config{Certificate: &cert, RootCAs: pool}, nil, dtls.TLS_AES_128_GCM_SHA256, 0},
		{"AES-256-GCM P-384", peer13Config{Certificate: &cert, RootCAs: pool, Curves: []elliptic.Curve{elliptic.P384},
			Suites: []ciphersuite.ID{ciphersuite.TLS_AES_256_GCM_SHA384}}, func(c *dtls.Config) {
			c.CurvePreferences = []tls.CurveID{tls.CurveP384}
		}, dtls.TLS_AES_256_GCM_SHA384, 0},
		{"ChaCha20-Poly1305", peer13Config{Certificate: &cert, RootCAs: pool,
			Suites: []ciphersuite.ID{ciphersuite.TLS_CHACHA20_POLY1305_SHA256}}, nil, dtls.TLS_CHACHA20_POLY1305_SHA256, 0},
		{"HelloRetryRequest for P-256", peer13Config{Certificate: &cert, RootCAs: pool, Curves: []elliptic.Curve{elliptic.P256}},
			func(c *dtls.Config) { c.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256} }, dtls.TLS_AES_128_GCM_SHA256, 0},
		{"PSK", peer13Config{PSK: psk}, nil, dtls.TLS_AES_128_GCM_SHA256, 0},
		{"X25519MLKEM768", peer13Config{Certificate: &cert, RootCAs: pool, Curves: []elliptic.Curve{elliptic.X25519MLKEM768}},
			func(c *dtls.Config) { c.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519} }, dtls.TLS_AES_128_GCM_SHA256, tls.X25519MLKEM768},
	}
	return cert, cases
}

// TestOurClient13 connects our DTLS 1.3 client to a pion/dtls v4 server
// (which answers every first ClientHello with a HelloRetryRequest and a
// cookie) and exchanges a line.
func TestOurClient13(t *testing.T) {
	checkGoroutines(t)
	_, cases := interopCases13(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startPeer13Server(t, tc.pion, "echo: ")
			cfg := our13(nil)
			if tc.pion.Certificate != nil {
				cfg = &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13,
					ServerName: serverName, RootCAs: tc.pion.RootCAs}
			}
			if tc.ours != nil {
				tc.ours(cfg)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c, err := transport.Dial(ctx, "udp", s.Addr.String(), cfg)
			if err != nil {
				t.Fatalf("dial: %v (pion: %v)", err, s.Errs())
			}
			defer c.Close()
			checkState13(t, c.ConnectionState(), tc.suite, tc.group)
			for i := range 3 {
				line := []byte(fmt.Sprintf("line %d of %s", i, tc.name))
				if _, err := c.Write(line); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 2048)
				n, err := c.Read(buf)
				if want := append([]byte("echo: "), line...); err != nil || !bytes.Equal(buf[:n], want) {
					t.Fatalf("read %q, %v; want %q", buf[:n], err, want)
				}
			}
		})
	}
}

// TestPionClient13 connects a pion/dtls v4 DTLS 1.3 client to our server.
func TestPionClient13(t *testing.T) {
	checkGoroutines(t)
	cert, cases := interopCases13(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := our13(&cert)
			if tc.pion.PSK != nil {
				cfg = our13(nil)
			}
			if tc.ours != nil {
				tc.ours(cfg)
			}
			l, accepted := echoServer(t, cfg)
			line := []byte("ping " + tc.name)
			got, _, err := peer13Echo(t, l.Addr().(*net.UDPAddr), tc.pion, line)
			if err != nil {
				t.Fatalf("pion client: %v", err)
			}
			if !bytes.Equal(got, line) {
				t.Fatalf("echo %q, want %q", got, line)
			}
			st := acceptedState(t, accepted)
			checkState13(t, st, tc.suite, tc.group)
		})
	}
}

func checkState13(t *testing.T, st dtls.ConnectionState, suite uint16, group tls.CurveID) {
	t.Helper()
	if st.Version != dtls.VersionDTLS13 || st.CipherSuite != suite {
		t.Fatalf("state: version %#x suite %#x, want DTLS 1.3 with %#x", st.Version, st.CipherSuite, suite)
	}
	if group != 0 && st.CurveID != group {
		t.Fatalf("group %v, want %v", st.CurveID, group)
	}
}

// TestKeyUpdate13 updates keys mid-stream against pion/dtls v4, each side
// starting and asking the other to follow (RFC 9147 §8): the stream goes
// on under the new keys both ways.
func TestKeyUpdate13(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	t.Run("ours starts", func(t *testing.T) {
		s := startPeer13Server(t, peer13Config{Certificate: &cert}, "echo: ")
		cfg := &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13, ServerName: serverName, RootCAs: pool}
		log := new(eventLog)
		cfg.Logger = slog.New(log)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		c, err := transport.Dial(ctx, "udp", s.Addr.String(), cfg)
		if err != nil {
			t.Fatalf("dial: %v (pion: %v)", err, s.Errs())
		}
		defer c.Close()
		defer func() {
			// Each of our updates, and each of pion's that answered it.
			if sent, got := log.count("keys updated"), log.count("KeyUpdate received"); sent != 2 || got != 2 {
				t.Errorf("%d updates of ours took effect, %d of pion's arrived; want 2 and 2", sent, got)
			}
		}()
		for i := range 6 {
			if i == 2 || i == 4 {
				if err := c.UpdateKeys(true); err != nil {
					t.Fatalf("UpdateKeys: %v", err)
				}
			}
			line := []byte(fmt.Sprintf("line %d", i))
			if _, err := c.Write(line); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 2048)
			n, err := c.Read(buf)
			if want := append([]byte("echo: "), line...); err != nil || !bytes.Equal(buf[:n], want) {
				t.Fatalf("read %q, %v; want %q (pion: %v)", buf[:n], err, want, s.Errs())
			}
		}
	})
	t.Run("pion starts", func(t *testing.T) {
		cfg := our13(&cert)
		log := new(eventLog)
		cfg.Logger = slog.New(log)
		l, _ := echoServer(t, cfg)
		defer func() {
			if got, sent := log.count("KeyUpdate received"), log.count("keys updated"); got != 2 || sent != 2 {
				t.Errorf("%d updates of pion's arrived, %d of ours answered them; want 2 and 2", got, sent)
			}
		}()
		pcfg := peer13Config{RootCAs: pool}
		pc, err := dialPeer13(t, l.Addr().(*net.UDPAddr), pcfg)
		if err != nil {
			t.Fatalf("pion dial: %v", err)
		}
		defer pc.Close()
		for i := range 6 {
			if i == 2 || i == 4 {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				err := pc.UpdateKeys(ctx, dtls4.KeyUpdateOptions{RequestPeerUpdate: true})
				cancel()
				if err != nil {
					t.Fatalf("pion UpdateKeys: %v", err)
				}
			}
			line := []byte(fmt.Sprintf("line %d", i))
			got, err := peer13RoundTrip(pc, pcfg, line)
			if err != nil || !bytes.Equal(got, line) {
				t.Fatalf("echo %q, %v; want %q", got, err, line)
			}
		}
	})
}

// eventLog is a slog.Handler that counts the events it receives by
// message.
type eventLog struct {
	mu     sync.Mutex
	counts map[string]int
}

func (l *eventLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *eventLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *eventLog) WithGroup(string) slog.Handler            { return l }
func (l *eventLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	l.counts[r.Message]++
	return nil
}

func (l *eventLog) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[msg]
}

// memSessions is a pion SessionStore in memory.
type memSessions struct {
	mu sync.Mutex
	m  map[string]dtls4.Session
}

func (s *memSessions) Set(key []byte, v dtls4.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]dtls4.Session{}
	}
	s.m[string(key)] = v
	return nil
}

func (s *memSessions) Get(key []byte) (dtls4.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[string(key)], nil
}

func (s *memSessions) Del(key []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, string(key))
	return nil
}

// TestResumption13 resumes DTLS 1.3 sessions by ticket (RFC 8446 §2.2)
// with pion/dtls v4 both ways: the second handshake resumes, and carries
// data.
func TestResumption13(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	t.Run("our client", func(t *testing.T) {
		s := startPeer13Server(t, peer13Config{Certificate: &cert, Sessions: new(memSessions)}, "echo: ")
		cfg := &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13, ServerName: serverName,
			RootCAs: pool, ClientSessionCache: dtls.NewLRUClientSessionCache(4)}
		for i := range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			c, err := transport.Dial(ctx, "udp", s.Addr.String(), cfg)
			cancel()
			if err != nil {
				t.Fatalf("dial %d: %v (pion: %v)", i, err, s.Errs())
			}
			if got := c.ConnectionState().DidResume; got != (i == 1) {
				c.Close()
				t.Fatalf("connection %d: resumed %v", i, got)
			}
			line := []byte(fmt.Sprintf("line %d", i))
			c.Write(line)
			buf := make([]byte, 2048)
			n, err := c.Read(buf) // the ticket came before the echo
			c.Close()
			if want := append([]byte("echo: "), line...); err != nil || !bytes.Equal(buf[:n], want) {
				t.Fatalf("read %q, %v; want %q", buf[:n], err, want)
			}
		}
	})
	t.Run("pion client", func(t *testing.T) {
		cfg := our13(&cert)
		l, accepted := echoServer(t, cfg)
		pcfg := peer13Config{RootCAs: pool, Sessions: new(memSessions)}
		for i := range 2 {
			line := []byte(fmt.Sprintf("line %d", i))
			got, st, err := peer13Echo(t, l.Addr().(*net.UDPAddr), pcfg, line)
			if err != nil || !bytes.Equal(got, line) {
				t.Fatalf("pion echo %d: %q, %v", i, got, err)
			}
			ours := acceptedState(t, accepted)
			if ours.DidResume != (i == 1) {
				t.Fatalf("connection %d: our server resumed %v (pion's state: %+v)", i, ours.DidResume, st)
			}
		}
	})
}

// TestConnectionID13 negotiates connection IDs in DTLS 1.3 (RFC 9147 §9)
// with pion/dtls v4 both ways: pion asks for 4-byte IDs, we for 8, and
// the records of both carry them.
func TestConnectionID13(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	check := func(t *testing.T, st dtls.ConnectionState) {
		t.Helper()
		if st.Version != dtls.VersionDTLS13 || len(st.ConnectionID) != 8 || len(st.PeerConnectionID) != 4 {
			t.Fatalf("version %#x, our ID %x, pion's %x", st.Version, st.ConnectionID, st.PeerConnectionID)
		}
	}
	t.Run("our client", func(t *testing.T) {
		s := startPeer13Server(t, peer13Config{Certificate: &cert, CID: []byte{4, 4, 4, 4}}, "echo: ")
		cfg := &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13, ServerName: serverName,
			RootCAs: pool, ConnectionID: &dtls.ConnectionIDConfig{Length: 8}}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		c, err := transport.Dial(ctx, "udp", s.Addr.String(), cfg)
		if err != nil {
			t.Fatalf("dial: %v (pion: %v)", err, s.Errs())
		}
		defer c.Close()
		check(t, c.ConnectionState())
		for i := range 3 {
			line := []byte(fmt.Sprintf("line %d", i))
			c.Write(line)
			buf := make([]byte, 2048)
			n, err := c.Read(buf)
			if want := append([]byte("echo: "), line...); err != nil || !bytes.Equal(buf[:n], want) {
				t.Fatalf("read %q, %v; want %q", buf[:n], err, want)
			}
		}
	})
	t.Run("pion client", func(t *testing.T) {
		cfg := our13(&cert)
		cfg.ConnectionID = &dtls.ConnectionIDConfig{Length: 8}
		l, accepted := echoServer(t, cfg)
		pcfg := peer13Config{RootCAs: pool, CID: []byte{4, 4, 4, 4}}
		got, _, err := peer13Echo(t, l.Addr().(*net.UDPAddr), pcfg, []byte("ping"))
		if err != nil || string(got) != "ping" {
			t.Fatalf("pion echo %q, %v", got, err)
		}
		check(t, acceptedState(t, accepted))
	})
}

// TestSRTP13 negotiates DTLS-SRTP in DTLS 1.3 with a pion/dtls v4 server
// and checks that both export the same keying material for SRTP (RFC 5764
// §4.2, from the exporter of RFC 8446 §7.5).
func TestSRTP13(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	s := startPeer13Server(t, peer13Config{Certificate: &cert,
		SRTP: []dtls4.SRTPProtectionProfile{dtls4.SRTP_AEAD_AES_128_GCM}}, "echo: ")
	cfg := &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13, ServerName: serverName, RootCAs: pool,
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.SRTP_AEAD_AES_128_GCM}}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := transport.Dial(ctx, "udp", s.Addr.String(), cfg)
	if err != nil {
		t.Fatalf("dial: %v (pion: %v)", err, s.Errs())
	}
	defer c.Close()
	st := c.ConnectionState()
	if st.SRTPProtectionProfile != dtls.SRTP_AEAD_AES_128_GCM {
		t.Fatalf("profile %v", st.SRTPProtectionProfile)
	}
	ours, err := st.ExportKeyingMaterial(dtls.SRTPKeyingMaterialLabel, nil, 56)
	if err != nil {
		t.Fatal(err)
	}
	var ps dtls4.State
	select {
	case ps = <-s.States:
	case <-ctx.Done():
		t.Fatal("no state from pion")
	}
	theirs, err := ps.ExportKeyingMaterial(dtls.SRTPKeyingMaterialLabel, nil, 56)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("keying material differs:\nours  %x\npion's %x", ours, theirs)
	}
}

// TestClientAuth13 has our DTLS 1.3 server ask a pion/dtls v4 client for
// its certificate (RFC 8446 §4.3.2), and check its CertificateVerify.
func TestClientAuth13(t *testing.T) {
	checkGoroutines(t)
	cert, pool := selfSigned(t)
	cfg := our13(&cert)
	// Any certificate: the test's self-signed one is no client certificate
	// by its key usage, but its signature over the transcript is checked.
	cfg.ClientAuth = tls.RequireAnyClientCert
	l, accepted := echoServer(t, cfg)
	pcfg := peer13Config{RootCAs: pool, Certificate: &cert}
	got, _, err := peer13Echo(t, l.Addr().(*net.UDPAddr), pcfg, []byte("ping"))
	if err != nil || string(got) != "ping" {
		t.Fatalf("pion echo %q, %v", got, err)
	}
	if st := acceptedState(t, accepted); len(st.PeerCertificates) != 1 {
		t.Fatalf("our server has %d client certificates", len(st.PeerCertificates))
	}
}
