package tests

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The interoperability tests run pathdtls against the openssl and gnutls
// command-line tools, as client and as server, for every protocol version
// and cipher suite both sides support: each case completes a handshake,
// checks what each side says it negotiated, and carries a line of
// application data each way.

// interopTimeout bounds each handshake and each wait on a peer. It is
// reached only when something is broken: gnutls-cli, the slowest peer,
// reads a handshake datagram about every 100 ms.
const interopTimeout = 15 * time.Second

var interopPSK = &peer.PSK{
	Key:      []byte("pathdtls interop key"),
	Identity: "pathdtls-interop-client",
	Hint:     "pathdtls-interop-hint",
}

// interopCase is one protocol version and cipher suite, with the
// credentials the suite needs.
type interopCase struct {
	version peer.Version
	suite   peer.Suite
	chain   *peer.Chain // nil for PSK suites
	// mtu, if not zero, is the link MTU both sides size their datagrams
	// for, IP and UDP headers included; the test then relays every
	// datagram and checks its size, and our side runs a long
	// retransmission timer (smallRetransmitTimeout).
	mtu int
	// clientCert makes our client present chain too, and the server
	// require it.
	clientCert bool
	// noPSKHint, for a PSK suite, makes our client expect no identity
	// hint from the server (RFC 4279, Section 2, allows none): Mbed TLS
	// 2.28 sends none.
	noPSKHint bool
	// watch, if set, also receives our side's events.
	watch func(slog.Record)
}

// interopChains are the certificate chains a matrix draws on: the
// ECDHE_ECDSA suites use ecdsa and the ECDHE_RSA suites rsa.
type interopChains struct{ ecdsa, rsa *peer.Chain }

func newInteropChains(t *testing.T, large bool) interopChains {
	return interopChains{
		ecdsa: peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256, Large: large}),
		rsa:   peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048, Large: large}),
	}
}

// interopVersions are the protocol versions of the matrix, in the order
// its subtests run.
var interopVersions = []peer.Version{peer.DTLS12, peer.DTLS10}

// interopMatrix returns a case for every version and every suite the
// harness knows that the version allows (AEAD suites need DTLS 1.2).
func interopMatrix(t *testing.T, chains interopChains) []interopCase {
	var cases []interopCase
	for _, v := range interopVersions {
		for _, s := range peer.Suites() {
			if s.DTLS12Only() && v != peer.DTLS12 {
				continue
			}
			cases = append(cases, newInteropCase(t, v, s.Name, chains))
		}
	}
	return cases
}

// newInteropCase returns the case for version v and the suite named
// suite, which the harness must know.
func newInteropCase(t *testing.T, v peer.Version, suite string, chains interopChains) interopCase {
	t.Helper()
	s, ok := peer.LookupSuite(suite)
	if !ok {
		t.Fatalf("the peer harness does not know %s", suite)
	}
	c := interopCase{version: v, suite: s}
	switch {
	case s.PSK:
	case strings.HasPrefix(s.Name, "TLS_ECDHE_ECDSA_"):
		c.chain = chains.ecdsa
	default:
		c.chain = chains.rsa
	}
	return c
}

// name is the subtest name: the version and the IANA suite name.
func (c interopCase) name() string {
	return strings.ReplaceAll(c.version.String(), " ", "") + "/" + c.suite.Name
}

// peerOptions returns the options for a peer that speaks only c's version
// and suite.
func (c interopCase) peerOptions() peer.Options {
	opts := peer.Options{Version: c.version, Suite: c.suite.Name, Chain: c.chain, MTU: c.mtu, Listen: true}
	if c.suite.PSK {
		opts.PSK = interopPSK
	}
	return opts
}

// config returns the part of our configuration that client and server
// share: c's version and suite, pinned; the datagram size and timer for
// c's MTU; and a trace kept for the log.
func (c interopCase) config(t *testing.T) *dtls.Config {
	t.Helper()
	id, ok := dtls.CipherSuiteByName(c.suite.Name)
	if !ok || id != c.suite.ID {
		t.Fatalf("dtls does not support %s (%#04x)", c.suite.Name, c.suite.ID)
	}
	cfg := &dtls.Config{
		MinVersion:   uint16(c.version),
		MaxVersion:   uint16(c.version),
		CipherSuites: []uint16{id},
		Trace:        newTraceLog(t).add,
	}
	if c.watch != nil {
		watchEvents(cfg, c.watch)
	}
	if c.mtu != 0 {
		cfg.DatagramSize = c.mtu - udp4Overhead
		cfg.RetransmitTimeout = smallRetransmitTimeout
	}
	return cfg
}

// udp4Overhead is the IPv4 and UDP header bytes of a datagram.
const udp4Overhead = 20 + 8

// clientConfig returns our client's configuration for c: it trusts the
// root of c's chain for "localhost", or holds the PSK.
func (c interopCase) clientConfig(t *testing.T) *dtls.Config {
	t.Helper()
	cfg := c.config(t)
	if c.suite.PSK {
		wantHint := interopPSK.Hint
		if c.noPSKHint {
			wantHint = ""
		}
		cfg.PSKIdentity = []byte(interopPSK.Identity)
		cfg.PSK = func(hint []byte) ([]byte, error) {
			if string(hint) != wantHint {
				return nil, fmt.Errorf("dtls: unexpected PSK identity hint %q", hint)
			}
			return interopPSK.Key, nil
		}
		return cfg
	}
	cfg.RootCAs = c.chain.Roots
	cfg.ServerName = "localhost"
	return cfg
}

// serverConfig returns our server's configuration for c: it presents c's
// chain, or holds the PSK and sends its hint.
func (c interopCase) serverConfig(t *testing.T) *dtls.Config {
	t.Helper()
	cfg := c.config(t)
	if c.suite.PSK {
		cfg.PSKIdentityHint = []byte(interopPSK.Hint)
		cfg.PSK = func(identity []byte) ([]byte, error) {
			if subtle.ConstantTimeCompare(identity, []byte(interopPSK.Identity)) != 1 {
				return nil, fmt.Errorf("dtls: unknown PSK identity %q", identity)
			}
			return interopPSK.Key, nil
		}
		return cfg
	}
	cfg.Certificates = append(cfg.Certificates, c.chain.Certificate)
	return cfg
}

// checkState checks what our side of c negotiated: the version, the
// suite, the extended master secret and the PSK identity or, for a
// client, the server's certificate.
func (c interopCase) checkState(t *testing.T, conn interface{ ConnectionState() dtls.ConnectionState }, client bool) {
	t.Helper()
	st := conn.ConnectionState()
	if !st.HandshakeComplete || st.Version != uint16(c.version) || st.CipherSuite != c.suite.ID {
		t.Errorf("negotiated version %#04x suite %s (complete %v), want %v %s",
			st.Version, dtls.CipherSuiteName(st.CipherSuite), st.HandshakeComplete, c.version, c.suite.Name)
	}
	if !st.ExtendedMasterSecret {
		t.Errorf("extended master secret (RFC 7627) not negotiated")
	}
	switch {
	case c.suite.PSK:
		if string(st.PSKIdentity) != interopPSK.Identity {
			t.Errorf("PSK identity %q, want %q", st.PSKIdentity, interopPSK.Identity)
		}
	case client:
		if len(st.PeerCertificates) == 0 || !st.PeerCertificates[0].Equal(c.chain.Certificate.Leaf) {
			t.Errorf("server presented %d certificates, not the test chain", len(st.PeerCertificates))
		}
	}
}

// traceLog keeps what dtls.Config.Trace reports and writes it to the test
// log if the test fails.
type traceLog struct {
	mu    sync.Mutex
	start time.Time
	lines []string
}

func newTraceLog(t *testing.T) *traceLog {
	l := &traceLog{start: time.Now()}
	t.Cleanup(func() {
		if t.Failed() {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Logf("pathdtls trace:\n%s", strings.Join(l.lines, "\n"))
		}
	})
	return l
}

func (l *traceLog) add(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%8.3fs %s", time.Since(l.start).Seconds(), msg))
}

// dial runs our client's handshake with the server at addr.
func dial(t *testing.T, addr netip.AddrPort, cfg *dtls.Config) *transport.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	conn, err := transport.Dial(ctx, "udp", addr.String(), cfg)
	if err != nil {
		t.Fatalf("handshake with %v: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// listen starts our server on a free port of 127.0.0.1.
func listen(t *testing.T, cfg *dtls.Config) *transport.Listener {
	t.Helper()
	l, err := transport.Listen("udp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// accept waits for one association on l and runs our server's handshake.
func accept(t *testing.T, l *transport.Listener) *transport.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	conn, err := l.AcceptContext(ctx)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.HandshakeContext(ctx); err != nil {
		t.Fatalf("handshake with %v: %v", conn.RemoteAddr(), err)
	}
	return conn
}

// writeLine sends line and a newline in one record.
func writeLine(t *testing.T, conn *transport.Conn, line string) {
	t.Helper()
	if _, err := conn.Write([]byte(line + "\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// readLine reads one record and checks that it is line and a newline.
func readLine(t *testing.T, conn *transport.Conn, line string) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(interopTimeout)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<14)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if got := buf[:n]; !bytes.Equal(got, []byte(line+"\n")) {
		t.Errorf("read %q, want %q", got, line+"\n")
	}
}

// interopPeer is a peer tool in one role, and what a test needs to know to
// talk to it.
type interopPeer struct {
	// name names the tool in subtest names and in the line it sends.
	name  string
	start func(testing.TB, peer.Options) *peer.Peer
	// done matches the tool's output once its handshake is complete;
	// empty for gnutls-serv, which prints nothing then.
	done string
	// echo is set for gnutls-serv, which sends back each record it
	// receives and sends nothing of its own.
	echo bool
	// closes is set for a tool that sends close_notify when its standard
	// input closes. The others are left to our close_notify.
	closes bool
	// exits is set for a tool that exits once the connection is closed.
	exits bool
	// check checks what the tool says it negotiated; nil for a tool that
	// does not say.
	check func(*testing.T, *peer.Peer, interopCase)
	// clientAuth, for a server, returns the arguments that make it
	// require a client certificate and verify it against chain's root;
	// for a client, those that make it present chain.
	clientAuth func(chain *peer.Chain) []string
}

// script returns the peer's standard input: once its handshake is
// complete it sends fromPeer and, if it closes connections, once it has
// printed fromUs it closes the connection.
func (p interopPeer) script(fromPeer, fromUs string) peer.Script {
	var s peer.Script
	if !p.echo {
		s = append(s, peer.Step{Await: p.done, Line: fromPeer})
	}
	if p.closes {
		s = append(s, peer.Step{Await: linePattern(fromUs), Close: true})
	}
	return s
}

// linePattern matches line at the end of a line of a tool's output.
func linePattern(line string) string { return "(?m)" + regexp.QuoteMeta(line) + "$" }

// testOurClient runs our client against the server p for c: a handshake,
// a line each way, and the close.
func testOurClient(t *testing.T, p interopPeer, c interopCase) {
	fromUs, fromPeer := "hello from pathdtls client", "hello from "+p.name
	if p.echo {
		fromPeer = fromUs
	}
	opts := c.peerOptions()
	opts.Stdin = p.script(fromPeer, fromUs)
	cfg := c.clientConfig(t)
	if c.clientCert {
		cfg.Certificates = append(cfg.Certificates, c.chain.Certificate)
		opts.Args = p.clientAuth(c.chain)
	}
	server := p.start(t, opts)
	addr := server.Addr
	var r *relay
	if c.mtu != 0 {
		r = newRelay(t, server.Addr)
		addr = r.addr()
	}
	conn := dial(t, addr, cfg)
	c.checkState(t, conn, true)
	talk(t, p, server, conn, c, fromUs, fromPeer)
	if r != nil {
		c.checkDatagrams(t, r, conn)
	}
}

// testOurServer runs our server against the client p for c: a handshake,
// a line each way, and the close.
func testOurServer(t *testing.T, p interopPeer, c interopCase) {
	fromUs, fromPeer := "hello from pathdtls server", "hello from "+p.name
	cfg := c.serverConfig(t)
	if c.clientCert {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, c.chain.Roots
	}
	l := listen(t, cfg)
	addr := l.Addr().(*net.UDPAddr).AddrPort()
	var r *relay
	if c.mtu != 0 {
		r = newRelay(t, addr)
		addr = r.addr()
	}
	opts := c.peerOptions()
	opts.Addr = addr
	opts.Stdin = p.script(fromPeer, fromUs)
	if c.clientCert {
		opts.Args = p.clientAuth(c.chain)
	}
	client := p.start(t, opts)
	conn := accept(t, l)
	c.checkState(t, conn, false)
	talk(t, p, client, conn, c, fromUs, fromPeer)
	if r != nil {
		c.checkDatagrams(t, r, conn)
	}
}

// talk sends fromUs to the peer and reads fromPeer, and checks that the
// peer printed fromUs and what it says it negotiated. Then it closes the
// connection: it waits for the peer's close_notify and answers it, or
// sends its own; and it checks that a peer that exits then succeeds, and
// that every record we received authenticated.
func talk(t *testing.T, p interopPeer, proc *peer.Peer, conn *transport.Conn, c interopCase, fromUs, fromPeer string) {
	t.Helper()
	writeLine(t, conn, fromUs)
	readLine(t, conn, fromPeer)
	proc.Await(t, linePattern(fromUs), interopTimeout)
	if p.check != nil {
		p.check(t, proc, c)
	}
	if p.closes {
		if err := conn.SetReadDeadline(time.Now().Add(interopTimeout)); err != nil {
			t.Fatal(err)
		}
		if n, err := conn.Read(make([]byte, 1<<14)); err != io.EOF {
			t.Errorf("read after the peer closed = %d, %v; want io.EOF", n, err)
		}
	}
	if err := conn.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if p.exits {
		if err := proc.Wait(t, interopTimeout); err != nil {
			t.Errorf("%v: %v", proc, err)
		}
	}
	// Replayed and dropped records can come from a slow peer's harmless
	// retransmissions; only records that fail authentication are sure to
	// be a fault.
	if n := conn.Stats().BadRecords; n != 0 {
		t.Errorf("%d records from the peer failed authentication", n)
	}
}

// checkDatagrams checks, for a case with a small MTU, that every datagram
// either way fitted in it, that each certificate chain sent took as many
// datagrams as its size implies, and that our side never had to send a
// flight again: on loopback nothing is lost, so a retransmission would
// mean the peer could not use our fragments.
func (c interopCase) checkDatagrams(t *testing.T, r *relay, conn *transport.Conn) {
	t.Helper()
	limit := c.mtu - udp4Overhead
	chainBytes := 0
	if c.chain != nil {
		for _, der := range c.chain.Certificate.Certificate {
			chainBytes += len(der)
		}
	}
	toServer, toClient := r.sizes()
	for _, dir := range []struct {
		name  string
		sizes []int
		chain bool // a certificate chain went this way
	}{{"to the server", toServer, c.clientCert}, {"to the client", toClient, c.chain != nil}} {
		if len(dir.sizes) == 0 || slices.Max(dir.sizes) > limit {
			t.Errorf("datagrams %s: %v; want none over %d bytes", dir.name, dir.sizes, limit)
		}
		if n := len(dir.sizes); dir.chain && n <= chainBytes/limit {
			t.Errorf("%d datagrams %s, too few for a %d-byte chain in %d-byte datagrams", n, dir.name, chainBytes, limit)
		}
	}
	if n := conn.Stats().Retransmissions; n != 0 {
		t.Errorf("our side sent %d flights again", n)
	}
}
