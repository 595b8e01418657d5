package tests

import (
	"net/netip"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// These tests prove the peer harness against the peers themselves: each
// pair of tools completes a handshake with the options the harness
// encodes, negotiates the cipher suite it was asked for, and carries a
// line of application data each way.

// sanityTimeout bounds each wait on a peer. It is reached only when
// something is broken: an exchange takes well under a second, except that
// gnutls-cli reads a handshake datagram about every 100 ms.
const sanityTimeout = 10 * time.Second

var sanityPSK = &peer.PSK{
	Key:      []byte("0123456789abcdef"),
	Identity: "pathdtls-client",
	Hint:     "pathdtls-hint",
}

// sanityCase is one configuration tried with each pair of tools.
type sanityCase struct {
	name    string
	version peer.Version
	suite   string
	chain   *peer.Chain // nil for PSK
	addr    netip.Addr  // server address; the zero value means 127.0.0.1
	// gnutls matches how gnutls-cli describes the session.
	gnutls string
}

func sanityCases(t *testing.T) []sanityCase {
	ecdsa := peer.NewChain(t, peer.ChainOptions{})
	rsa := peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048})
	rsaLarge := peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048, Large: true})
	return []sanityCase{
		{"DTLS1.2/ECDSA", peer.DTLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", ecdsa, netip.Addr{},
			`^\(DTLS1\.2-X\.509\)-\(ECDHE-SECP256R1\)-\(ECDSA-SHA256\)-\(AES-128-GCM\)$`},
		{"DTLS1.2/RSA-large", peer.DTLS12, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", rsaLarge, netip.Addr{},
			`^\(DTLS1\.2-X\.509\)-\(ECDHE-SECP256R1\)-\(RSA-SHA256\)-\(AES-128-GCM\)$`},
		{"DTLS1.2/PSK", peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", nil, netip.Addr{},
			`^\(DTLS1\.2-X\.509\)-\(PSK\)-\(AES-128-GCM\)$`},
		{"DTLS1.2/PSK/IPv6", peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", nil, netip.IPv6Loopback(),
			`^\(DTLS1\.2-X\.509\)-\(PSK\)-\(AES-128-GCM\)$`},
		{"DTLS1.0/ECDSA", peer.DTLS10, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", ecdsa, netip.Addr{},
			`^\(DTLS1\.0-X\.509\)-\(ECDHE-SECP256R1\)-\(AES-128-CBC\)-\(SHA1\)$`},
		{"DTLS1.0/RSA", peer.DTLS10, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", rsa, netip.Addr{},
			`^\(DTLS1\.0-X\.509\)-\(ECDHE-SECP256R1\)-\(AES-128-CBC\)-\(SHA1\)$`},
		{"DTLS1.0/PSK", peer.DTLS10, "TLS_PSK_WITH_AES_128_CBC_SHA", nil, netip.Addr{},
			`^\(DTLS1\.0-X\.509\)-\(PSK\)-\(AES-128-CBC\)-\(SHA1\)$`},
	}
}

func (c sanityCase) options() peer.Options {
	opts := peer.Options{Version: c.version, Suite: c.suite, Chain: c.chain, Listen: true}
	if c.chain == nil {
		opts.PSK = sanityPSK
	}
	if c.addr.IsValid() {
		opts.Addr = netip.AddrPortFrom(c.addr, 0)
	}
	return opts
}

// sanityRole is one tool in one role.
type sanityRole struct {
	name  string
	start func(testing.TB, peer.Options) *peer.Peer
	// done matches the tool's output once the handshake is complete;
	// empty for gnutls-serv, which prints nothing then and sends no line
	// of its own but echoes the client's.
	done string
	// checkSuite checks the negotiated suite in the tool's output.
	checkSuite func(*testing.T, *peer.Peer, sanityCase)
}

var (
	openSSLServer = sanityRole{"s_server", peer.OpenSSLServer, peer.OpenSSLServerHandshakeDone,
		checkOpenSSLSuite(peer.OpenSSLServerHandshakeDone, false)}
	openSSLClient = sanityRole{"s_client", peer.OpenSSLClient, peer.OpenSSLClientHandshakeDone,
		checkOpenSSLSuite(peer.OpenSSLClientHandshakeDone, true)}
	gnuTLSServer = sanityRole{"gnutls-serv", peer.GnuTLSServer, "", nil}
	gnuTLSClient = sanityRole{"gnutls-cli", peer.GnuTLSClient, peer.GnuTLSClientHandshakeDone, checkGnuTLSSuite}
)

// openSSLProtocols are the names s_client gives the protocol versions.
var openSSLProtocols = map[peer.Version]string{peer.DTLS10: "DTLSv1", peer.DTLS12: "DTLSv1.2"}

// checkOpenSSLSuite returns a check of the OpenSSL suite name that the
// handshake pattern done captures and, if protocol is set (s_client prints
// it), of the protocol version.
func checkOpenSSLSuite(done string, protocol bool) func(*testing.T, *peer.Peer, sanityCase) {
	return func(t *testing.T, p *peer.Peer, c sanityCase) {
		t.Helper()
		suite, _ := peer.LookupSuite(c.suite)
		if got := p.Await(t, done, sanityTimeout)[1]; got != suite.OpenSSL {
			t.Errorf("%v negotiated %s, want %s", p, got, suite.OpenSSL)
		}
		if !protocol {
			return
		}
		if got := p.Await(t, `(?m)^\s+Protocol\s+: (\S+)$`, sanityTimeout)[1]; got != openSSLProtocols[c.version] {
			t.Errorf("%v negotiated %s, want %s", p, got, openSSLProtocols[c.version])
		}
	}
}

func checkGnuTLSSuite(t *testing.T, p *peer.Peer, c sanityCase) {
	t.Helper()
	got := p.Await(t, peer.GnuTLSClientDescription, sanityTimeout)[1]
	if !regexp.MustCompile(c.gnutls).MatchString(got) {
		t.Errorf("%v negotiated %s, want a match for %s", p, got, c.gnutls)
	}
}

func TestPeerSanity(t *testing.T) {
	t.Parallel()
	pairs := []struct{ server, client sanityRole }{
		{openSSLServer, openSSLClient},
		{gnuTLSServer, gnuTLSClient},
		{openSSLServer, gnuTLSClient},
		{gnuTLSServer, openSSLClient},
	}
	cases := sanityCases(t)
	for _, pair := range pairs {
		for _, c := range cases {
			t.Run(pair.server.name+"/"+pair.client.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				exchangeLines(t, pair.server, pair.client, c)
			})
		}
	}
}

// exchangeLines runs server and client as c asks and checks that each
// receives the other's line and that both negotiated c's suite.
func exchangeLines(t *testing.T, server, client sanityRole, c sanityCase) {
	fromServer, fromClient := "hello from "+server.name, "hello from "+client.name
	opts := c.options()
	if server.done != "" {
		opts.Stdin = peer.Script{{Await: server.done, Line: fromServer}}
	} else {
		fromServer = fromClient // the echo
	}
	s := server.start(t, opts)

	opts.Addr = s.Addr
	opts.Stdin = peer.Script{{Await: client.done, Line: fromClient}}
	cl := client.start(t, opts)

	cl.Await(t, "(?m)^"+fromServer+"$", sanityTimeout)
	s.Await(t, fromClient, sanityTimeout)
	for _, p := range []struct {
		role sanityRole
		peer *peer.Peer
	}{{server, s}, {client, cl}} {
		if p.role.checkSuite != nil {
			p.role.checkSuite(t, p.peer, c)
		}
	}
}

func TestPeerSanityUntrustedServer(t *testing.T) {
	t.Parallel()
	trusted := peer.NewChain(t, peer.ChainOptions{})
	presented := peer.NewChain(t, peer.ChainOptions{})
	for _, client := range []sanityRole{openSSLClient, gnuTLSClient} {
		t.Run(client.name, func(t *testing.T) {
			t.Parallel()
			server := peer.OpenSSLServer(t, peer.Options{Chain: presented})
			c := client.start(t, peer.Options{Chain: trusted, Addr: server.Addr})
			if err := c.Wait(t, sanityTimeout); err == nil {
				t.Errorf("%v exited successfully with a server certificate from a CA it does not trust", c)
			}
			if regexp.MustCompile(client.done).MatchString(c.Output()) {
				t.Errorf("%v completed a handshake with a server certificate from a CA it does not trust", c)
			}
		})
	}
}

// TestPeerSanityMTU checks that Options.MTU means the link MTU for both
// tools: with a chain large enough to need fragmenting, no datagram
// exceeds the MTU less the IPv4 and UDP headers.
func TestPeerSanityMTU(t *testing.T) {
	t.Parallel()
	const mtu = 1000
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048, Large: true})
	for _, pair := range []struct{ server, client sanityRole }{
		{openSSLServer, openSSLClient},
		{gnuTLSServer, gnuTLSClient},
	} {
		t.Run(pair.server.name+"/"+pair.client.name, func(t *testing.T) {
			t.Parallel()
			checkPeerMTU(t, pair.server, pair.client, chain, mtu)
		})
	}
}

// checkPeerMTU runs server and client with chain and the link MTU mtu,
// through a relay, and checks that no datagram exceeds the MTU less the
// IPv4 and UDP headers, and that the server's largest datagram reaches
// it: the tools fill datagrams to the limit, so a smaller largest datagram
// means the MTU was misread.
func checkPeerMTU(t *testing.T, server, client sanityRole, chain *peer.Chain, mtu int) {
	t.Helper()
	opts := peer.Options{Chain: chain, MTU: mtu, Listen: true}
	s := server.start(t, opts)
	relay := newRelay(t, s.Addr)
	opts.Addr = relay.addr()
	c := client.start(t, opts)
	c.Await(t, client.done, sanityTimeout)
	limit := mtu - 28
	sizesToServer, sizesToClient := relay.sizes()
	toServer, toClient := slices.Max(append(sizesToServer, 0)), slices.Max(append(sizesToClient, 0))
	if toServer > limit || toClient != limit {
		t.Errorf("largest datagrams: %d bytes to the server, %d to the client; want at most %d, and %d to the client",
			toServer, toClient, limit, limit)
	}
}
