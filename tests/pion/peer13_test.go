package pion

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	dtls4 "github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v4/pkg/crypto/elliptic"
	"github.com/pion/dtls/v4/pkg/protocol"
)

// A peer13Config describes one side of a pion/dtls v4 peer that speaks
// DTLS 1.3 (RFC 9147) only. The zero value is not enough: a server needs
// Certificate or PSK, a client RootCAs (or InsecureSkipVerify) or PSK.
type peer13Config struct {
	// Certificate is the server's certificate chain and key, or the
	// client's, for a server that asks for one.
	Certificate *tls.Certificate
	// RootCAs is what the client trusts; it checks the name serverName.
	RootCAs *x509.CertPool
	// InsecureSkipVerify makes the client take any certificate.
	InsecureSkipVerify bool
	// PSK is an external PSK (RFC 8446, Section 4.2.11): the client
	// offers it, the server takes it when the client offers its identity.
	PSK *dtls4.PSK
	// Suites are the TLS 1.3 cipher suites, in order; nil takes the
	// peer's default (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305).
	Suites []ciphersuite.ID
	// Curves are the groups, in order; a client sends a key share for the
	// first only. Nil takes the peer's default, which puts X25519MLKEM768
	// first on a server.
	Curves []elliptic.Curve
	// CID is the connection ID this side asks the peer to put in its
	// records (RFC 9147, Section 9); non-nil and empty offers to send the
	// peer's without asking for one; nil leaves the extension out.
	CID []byte
	// KeyLog receives NSS key log lines, if not nil.
	KeyLog io.Writer
	// SRTP lists the DTLS-SRTP profiles (RFC 5764) offered or accepted.
	SRTP []dtls4.SRTPProtectionProfile
	// Sessions, if not nil, keeps sessions for resumption (RFC 8446
	// §2.2): a server issues tickets, a client offers them.
	Sessions dtls4.SessionStore
	// Timeout bounds a handshake and each read; 0 means 10 seconds.
	Timeout time.Duration
}

func (c peer13Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return timeout
	}
	return c.Timeout
}

// options returns the pion options for c.
func (c peer13Config) options() []dtls4.Option {
	opts := []dtls4.Option{
		dtls4.WithMinVersion(protocol.Version1_3),
		dtls4.WithMaxVersion(protocol.Version1_3),
	}
	if c.Suites != nil {
		opts = append(opts, dtls4.WithCipherSuites(c.Suites...))
	}
	if c.Curves != nil {
		opts = append(opts, dtls4.WithEllipticCurves(c.Curves...))
	}
	if c.CID != nil {
		cid := slices.Clone(c.CID)
		opts = append(opts, dtls4.WithConnectionID(func() []byte { return cid }, dtls4.CIDPathMigrationReject))
	}
	if c.KeyLog != nil {
		opts = append(opts, dtls4.WithKeyLogWriter(c.KeyLog))
	}
	if c.SRTP != nil {
		opts = append(opts, dtls4.WithSRTPProtectionProfiles(c.SRTP...))
	}
	if c.Sessions != nil {
		opts = append(opts, dtls4.WithSessionStore(c.Sessions))
	}
	return opts
}

func (c peer13Config) serverOptions() []dtls4.ServerOption {
	var opts []dtls4.ServerOption
	for _, o := range c.options() {
		opts = append(opts, o)
	}
	if c.Certificate != nil {
		opts = append(opts, dtls4.WithCertificates(*c.Certificate))
	}
	if c.PSK != nil {
		psk := *c.PSK
		opts = append(opts, dtls4.WithPSK(nil, func(ids [][]byte) (*dtls4.PSK, error) {
			for _, id := range ids {
				if string(id) == string(psk.Identity) {
					return &psk, nil
				}
			}
			return nil, nil
		}))
	}
	return opts
}

func (c peer13Config) clientOptions() []dtls4.ClientOption {
	var opts []dtls4.ClientOption
	for _, o := range c.options() {
		opts = append(opts, o)
	}
	if c.RootCAs != nil {
		opts = append(opts, dtls4.WithRootCAs(c.RootCAs), dtls4.WithServerName(serverName))
	}
	if c.InsecureSkipVerify {
		opts = append(opts, dtls4.WithInsecureSkipVerify(true))
	}
	if c.PSK != nil {
		psk := *c.PSK
		opts = append(opts, dtls4.WithPSK(func() ([]dtls4.PSK, error) { return []dtls4.PSK{psk}, nil }, nil))
	}
	if c.Certificate != nil {
		opts = append(opts, dtls4.WithCertificates(*c.Certificate)) // for a server that asks
	}
	return opts
}

// A peer13Server is a pion/dtls v4 DTLS 1.3 server on loopback UDP that
// answers each application message with Prefix and the message.
type peer13Server struct {
	// Addr is where it listens.
	Addr *net.UDPAddr
	// Received has each message the server read, in order (64 at most
	// are kept unread).
	Received <-chan []byte
	// States has the state of each connection after its handshake.
	States <-chan dtls4.State
	// Prefix goes before each echoed message.
	Prefix []byte

	received chan []byte
	states   chan dtls4.State
	l        net.Listener
	cfg      peer13Config
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
	errs     []error
}

// startPeer13Server starts a pion/dtls v4 DTLS 1.3 echo server on
// 127.0.0.1:0. Cleanup closes it and its connections and waits for its
// goroutines.
func startPeer13Server(t *testing.T, cfg peer13Config, prefix string) *peer13Server {
	t.Helper()
	l, err := dtls4.ListenAddr("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, cfg.serverOptions()...)
	if err != nil {
		t.Fatalf("pion v4 listen: %v", err)
	}
	s := &peer13Server{
		Addr:     l.Addr().(*net.UDPAddr),
		Prefix:   []byte(prefix),
		received: make(chan []byte, 64),
		states:   make(chan dtls4.State, 16),
		l:        l,
		cfg:      cfg,
	}
	s.Received, s.States = s.received, s.states
	s.wg.Go(s.accept)
	t.Cleanup(s.close)
	return s
}

// Errs returns what went wrong on the server's connections so far: a
// handshake that failed, a read or write error other than the end.
func (s *peer13Server) Errs() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

func (s *peer13Server) close() {
	s.l.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *peer13Server) fail(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

func (s *peer13Server) accept() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Go(func() { s.serve(c.(*dtls4.Conn)) })
	}
}

// serve runs the handshake on c and echoes until the client closes, an
// error, or the server closes.
func (s *peer13Server) serve(c *dtls4.Conn) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.timeout())
	err := c.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.fail(err)
		return
	}
	if st, ok := c.ConnectionState(); ok {
		select {
		case s.states <- st:
		default:
		}
	}
	buf := make([]byte, 65536)
	for {
		c.SetReadDeadline(time.Now().Add(s.cfg.timeout()))
		n, err := c.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, dtls4.ErrConnClosed) {
				s.fail(err)
			}
			return
		}
		msg := slices.Clone(buf[:n])
		select {
		case s.received <- msg:
		default:
		}
		if _, err := c.Write(append(slices.Clone(s.Prefix), msg...)); err != nil {
			s.fail(err)
			return
		}
	}
}

// dialPeer13 runs a pion/dtls v4 DTLS 1.3 client's handshake with addr,
// within the config's timeout. Cleanup closes the connection.
func dialPeer13(t *testing.T, addr *net.UDPAddr, cfg peer13Config) (*dtls4.Conn, error) {
	t.Helper()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	c, err := dtls4.Client(pc, addr, cfg.clientOptions()...)
	if err != nil {
		pc.Close()
		return nil, err
	}
	t.Cleanup(func() {
		c.Close()
		pc.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout())
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// peer13RoundTrip writes line on c and returns the next message it reads,
// within the config's timeout.
func peer13RoundTrip(c *dtls4.Conn, cfg peer13Config, line []byte) ([]byte, error) {
	c.SetDeadline(time.Now().Add(cfg.timeout()))
	if _, err := c.Write(line); err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	return slices.Clone(buf[:n]), nil
}

// peer13Echo dials addr with a pion/dtls v4 DTLS 1.3 client, sends line,
// and returns the answer and the connection's state; the connection is
// closed (close_notify) before it returns.
func peer13Echo(t *testing.T, addr *net.UDPAddr, cfg peer13Config, line []byte) ([]byte, dtls4.State, error) {
	t.Helper()
	c, err := dialPeer13(t, addr, cfg)
	if err != nil {
		return nil, dtls4.State{}, err
	}
	defer c.Close()
	st, _ := c.ConnectionState()
	got, err := peer13RoundTrip(c, cfg, line)
	return got, st, err
}
