package tests

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// wolf13Case is one handshake between our side and a wolfSSL 5.5.4
// program: the credentials, the suite, the arguments of the program, and
// what the test expects to see on the wire.
type wolf13Case struct {
	name string
	// chain is the server's certificate chain; nil with psk.
	chain *peer.Chain
	// psk makes both sides use the wolfSSL programs' DTLS 1.3 PSK
	// (peer.WolfSSLPSK13), in psk_dhe_ke mode (RFC 8446, Section 4.2.9).
	psk bool
	// identity is the PSK identity our client sends; empty means the one
	// the wolfSSL client would send for the suite (the name with the last
	// six characters of the suite's: see peer.WolfSSLPSK13Identity).
	identity string
	// suite is the IANA name of the suite both sides must negotiate and
	// the only one the wolfSSL program offers; empty leaves each side its
	// default list, which agree on TLS_AES_128_GCM_SHA256. We keep our
	// default list when it has the suite (see ourSuites13), and offer
	// only the suite when it does not.
	suite string
	// version is the version both sides must negotiate; zero means DTLS
	// 1.3. The wolfSSL program speaks only it, unless args say otherwise.
	version peer.Version
	// args are extra arguments for the wolfSSL program.
	args []string
	// ours, if set, adjusts our Config.
	ours func(*dtls.Config)
	// hrr says whether the server must send a HelloRetryRequest (RFC
	// 8446, Section 4.1.4).
	hrr bool
	// mtu, if not zero, is the link MTU both sides size their datagrams
	// for; the test then relays every datagram and checks its size.
	mtu int
	// noTickets makes the wolfSSL server send no NewSessionTicket.
	noTickets bool
	// clientCert makes our client present chain and the wolfSSL server
	// require it.
	clientCert bool
	// skip, if set, is why the case is skipped: a fault that the report
	// of the branch describes, with its evidence.
	skip string
}

// ourSuites13 are the DTLS 1.3 suites a Config without CipherSuites
// offers and accepts.
var ourSuites13 = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// suiteID returns the ID of the suite named name, of any version.
func suiteID(name string) (uint16, bool) { return dtls.CipherSuiteByName(name) }

// wantSuite is the suite a case must negotiate.
func (c wolf13Case) wantSuite() string {
	if c.suite == "" {
		return "TLS_AES_128_GCM_SHA256"
	}
	return c.suite
}

// wantVersion is the version a case must negotiate.
func (c wolf13Case) wantVersion() peer.Version {
	if c.version == 0 {
		return peer.DTLS13
	}
	return c.version
}

// wolfSSLVersionNames are the names the wolfSSL programs give the
// versions.
var wolfSSLVersionNames = map[peer.Version]string{peer.DTLS12: "DTLSv1.2", peer.DTLS13: "DTLSv1.3"}

// peerOptions returns the wolfSSL program's options for c.
func (c wolf13Case) peerOptions() peer.Options {
	opts := peer.Options{Version: c.wantVersion(), Suite: c.suite, Chain: c.chain, MTU: c.mtu, Args: c.args, NoTickets: c.noTickets}
	if c.psk {
		opts.PSK = &peer.WolfSSLPSK13
	}
	return opts
}

// config returns what our client and server share for c: DTLS 1.3 only
// (unless ours says otherwise), the suite if we need to name it, the datagram size for
// c's MTU, and the events, kept for the log and counted.
func (c wolf13Case) config(t *testing.T) (*dtls.Config, *eventCounts) {
	t.Helper()
	cfg := &dtls.Config{MinVersion: dtls.VersionDTLS13, MaxVersion: dtls.VersionDTLS13}
	if c.suite != "" && c.wantVersion() == peer.DTLS13 && !slices.Contains(ourSuites13, c.suite) {
		id, ok := suiteID(c.suite)
		if !ok {
			t.Fatalf("dtls does not support %s", c.suite)
		}
		cfg.CipherSuites = []uint16{id}
	}
	if c.mtu != 0 {
		cfg.DatagramSize = c.mtu - udp4Overhead
		cfg.RetransmitTimeout = smallRetransmitTimeout
	}
	events := countEvents(t, cfg)
	return cfg, events
}

// clientConfig returns our client's Config for c: it trusts the root of
// c's chain for "localhost", or holds the PSK and sends c's identity.
func (c wolf13Case) clientConfig(t *testing.T) (*dtls.Config, *eventCounts) {
	t.Helper()
	cfg, events := c.config(t)
	switch {
	case c.psk:
		cfg.PSKIdentity = []byte(c.pskIdentity())
		cfg.PSK = func([]byte) ([]byte, error) { return peer.WolfSSLPSK13.Key, nil }
	default:
		cfg.RootCAs, cfg.ServerName = c.chain.Roots, "localhost"
	}
	if c.clientCert {
		cfg.Certificates = append(cfg.Certificates, c.chain.Certificate)
	}
	if c.ours != nil {
		c.ours(cfg)
	}
	return cfg, events
}

// pskIdentity is the identity our client sends, or our server expects.
func (c wolf13Case) pskIdentity() string {
	if c.identity != "" {
		return c.identity
	}
	return peer.WolfSSLPSK13Identity(c.wantSuite())
}

// serverConfig returns our server's Config for c: it presents c's chain,
// or accepts the wolfSSL PSK under any identity that starts with
// "Client_identity", as the wolfSSL server does.
func (c wolf13Case) serverConfig(t *testing.T) (*dtls.Config, *eventCounts) {
	t.Helper()
	cfg, events := c.config(t)
	switch {
	case c.psk:
		prefix := []byte(peer.WolfSSLPSK13.Identity)
		cfg.PSK = func(identity []byte) ([]byte, error) {
			if len(identity) < len(prefix) || subtle.ConstantTimeCompare(identity[:len(prefix)], prefix) != 1 {
				return nil, fmt.Errorf("dtls: unknown PSK identity %q", identity)
			}
			return peer.WolfSSLPSK13.Key, nil
		}
	default:
		cfg.Certificates = append(cfg.Certificates, c.chain.Certificate)
	}
	if c.ours != nil {
		c.ours(cfg)
	}
	return cfg, events
}

// checkState checks what our side negotiated: the version, the suite, and
// the PSK identity or, for a client, the server's certificate.
func (c wolf13Case) checkState(t *testing.T, conn *transport.Conn, client bool) {
	t.Helper()
	st := conn.ConnectionState()
	want, ok := suiteID(c.wantSuite())
	if !ok || !st.HandshakeComplete || st.Version != uint16(c.wantVersion()) || st.CipherSuite != want {
		t.Errorf("negotiated version %#04x suite %s (complete %v), want %v %s",
			st.Version, dtls.CipherSuiteName(st.CipherSuite), st.HandshakeComplete, c.wantVersion(), c.wantSuite())
	}
	switch {
	case c.psk:
		if got := string(st.PSKIdentity); got != c.pskIdentity() {
			t.Errorf("PSK identity %q, want %q", got, c.pskIdentity())
		}
	case client:
		if len(st.PeerCertificates) == 0 || !st.PeerCertificates[0].Equal(c.chain.Certificate.Leaf) {
			t.Errorf("server presented %d certificates, not the test chain", len(st.PeerCertificates))
		}
	}
}

// checkPeer checks the version and suite the wolfSSL program reports.
func (c wolf13Case) checkPeer(t *testing.T, p *peer.Peer) {
	t.Helper()
	if got := p.Await(t, peer.WolfSSLVersion, interopTimeout)[1]; got != wolfSSLVersionNames[c.wantVersion()] {
		t.Errorf("%v negotiated %s, want %s", p, got, wolfSSLVersionNames[c.wantVersion()])
	}
	if got := p.Await(t, peer.WolfSSLHandshakeDone, interopTimeout)[1]; got != c.wantSuite() {
		t.Errorf("%v negotiated %s, want %s", p, got, c.wantSuite())
	}
}

// frontOf puts a relay between the client and the server at addr, which
// keeps every datagram, and returns the address the client sends to.
func (c wolf13Case) frontOf(t *testing.T, addr netip.AddrPort) (netip.AddrPort, *relay) {
	r := newRelay(t, addr)
	return r.addr(), r
}

// checkWire checks, once the handshake is over, whether the server sent
// a HelloRetryRequest and, with an MTU, that every datagram fitted it and
// that the server's chain took as many datagrams as its size implies.
func (c wolf13Case) checkWire(t *testing.T, r *relay, conn *transport.Conn) {
	t.Helper()
	if got := r.sawHelloRetryRequest(); got != c.hrr {
		t.Errorf("server sent a HelloRetryRequest: %v, want %v", got, c.hrr)
	}
	if c.mtu == 0 {
		return
	}
	ic := interopCase{mtu: c.mtu, chain: c.chain, clientCert: c.clientCert}
	ic.checkDatagrams(t, r, conn)
}

// checkRecords checks that every record the peer sent us authenticated.
func checkRecords(t *testing.T, conn *transport.Conn) {
	t.Helper()
	if n := conn.Stats().BadRecords; n != 0 {
		t.Errorf("%d records from the peer failed authentication", n)
	}
}

// awaitEOF reads until the peer's close_notify, which must come before
// any more data.
func awaitEOF(t *testing.T, conn *transport.Conn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(interopTimeout)); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Read(make([]byte, 1<<14)); err != io.EOF {
		t.Errorf("read after the peer closed = %d, %v; want io.EOF", n, err)
	}
}

// readRecord reads one record and checks that it holds want.
func readRecord(t *testing.T, conn *transport.Conn, want []byte) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(interopTimeout)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<14)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("read %q, want %q", buf[:n], want)
	}
}

// udpAddr is the address a listener is bound to.
func udpAddr(l *transport.Listener) netip.AddrPort { return l.Addr().(*net.UDPAddr).AddrPort() }

// downgradeSentinel12 is the end of the Random of a server that supports
// DTLS 1.3 and chose DTLS 1.2 (RFC 8446, Section 4.1.3; RFC 9147, Section
// 5).
var downgradeSentinel12 = []byte("DOWNGRD\x01")

// sentDowngradeSentinel reports whether a ServerHello the relay saw ends
// with the DTLS 1.2 downgrade sentinel.
func sentDowngradeSentinel(r *relay) bool {
	return slices.ContainsFunc(r.serverHelloRandoms(), func(r []byte) bool {
		return bytes.HasSuffix(r, downgradeSentinel12)
	})
}
