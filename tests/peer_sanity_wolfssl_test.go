package tests

import (
	"bytes"
	"regexp"
	"slices"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// TestPeerSanityWolfSSL proves the wolfSSL peers against each other, as
// TestPeerSanity does for the other tools: for each case, a handshake
// that negotiates the version and suite asked for, and the client's line
// echoed back by the server, through a relay that checks whether the
// server sent a HelloRetryRequest.
func TestPeerSanityWolfSSL(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	ecdsa := peer.NewChain(t, peer.ChainOptions{})
	ed25519 := peer.NewChain(t, peer.ChainOptions{Key: peer.Ed25519})
	rsaLarge := peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048, Large: true})
	cases := []struct {
		name                     string
		opts                     peer.Options
		serverArgs, clientArgs   []string
		version, suite, response string
		hrr                      bool
	}{
		// A DTLS 1.3 server sends a HelloRetryRequest with a cookie
		// (RFC 9147, Section 5.1) unless told not to.
		{name: "DTLS1.3/ECDSA", opts: peer.Options{Chain: ecdsa},
			version: "DTLSv1.3", suite: "TLS_AES_128_GCM_SHA256", hrr: true},
		{name: "DTLS1.3/ECDSA/no-cookie", opts: peer.Options{Chain: ecdsa}, serverArgs: []string{peer.WolfSSLServerNoCookie},
			version: "DTLSv1.3", suite: "TLS_AES_128_GCM_SHA256"},
		// Without a key share in the first ClientHello the server needs
		// a HelloRetryRequest even without the cookie.
		{name: "DTLS1.3/ECDSA/no-key-share", opts: peer.Options{Chain: ecdsa},
			serverArgs: []string{peer.WolfSSLServerNoCookie}, clientArgs: []string{peer.WolfSSLClientNoKeyShare},
			version: "DTLSv1.3", suite: "TLS_AES_128_GCM_SHA256", hrr: true},
		{name: "DTLS1.3/Ed25519/ChaCha20", opts: peer.Options{Chain: ed25519, Suite: "TLS_CHACHA20_POLY1305_SHA256"},
			version: "DTLSv1.3", suite: "TLS_CHACHA20_POLY1305_SHA256", hrr: true},
		{name: "DTLS1.3/RSA-large/AES256", opts: peer.Options{Chain: rsaLarge, Suite: "TLS_AES_256_GCM_SHA384"},
			version: "DTLSv1.3", suite: "TLS_AES_256_GCM_SHA384", hrr: true},
		{name: "DTLS1.3/PSK", opts: peer.Options{PSK: &peer.WolfSSLPSK13},
			version: "DTLSv1.3", suite: "TLS_AES_128_GCM_SHA256", hrr: true},
		{name: "DTLS1.3/PSK/CCM", opts: peer.Options{PSK: &peer.WolfSSLPSK13, Suite: "TLS_AES_128_CCM_SHA256"},
			version: "DTLSv1.3", suite: "TLS_AES_128_CCM_SHA256", hrr: true},
		// The client sends a KeyUpdate before its line, and the line
		// again once it has the echo.
		{name: "DTLS1.3/KeyUpdate/client", opts: peer.Options{Chain: ecdsa}, clientArgs: []string{peer.WolfSSLClientKeyUpdate},
			version: "DTLSv1.3", suite: "TLS_AES_128_GCM_SHA256", hrr: true},
		// The server updates its keys before it answers, and answers
		// with its own line rather than the echo.
		{name: "DTLS1.3/KeyUpdate/server", opts: peer.Options{Chain: ecdsa}, serverArgs: []string{peer.WolfSSLServerKeyUpdate},
			clientArgs: []string{peer.WolfSSLClientKeyUpdate},
			version:    "DTLSv1.3", suite: "TLS_AES_128_GCM_SHA256", response: peer.WolfSSLServerLine, hrr: true},
		{name: "DTLS1.2/ECDSA", opts: peer.Options{Version: peer.DTLS12, Chain: ecdsa, Suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
			version: "DTLSv1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{name: "DTLS1.2/PSK", opts: peer.Options{Version: peer.DTLS12, PSK: &peer.WolfSSLPSK, Suite: "TLS_PSK_WITH_AES_128_GCM_SHA256"},
			version: "DTLSv1.2", suite: "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := c.opts
			opts.Args = c.serverArgs
			s := w.Server(t, opts)
			tap := newRelay(t, s.Addr)
			opts.Addr, opts.Args = tap.addr(), c.clientArgs
			cl := w.Client(t, opts)
			response := c.response
			if response == "" {
				response = peer.WolfSSLClientLine // the echo
			}
			cl.Await(t, "(?m)^"+regexp.QuoteMeta(response)+"$", sanityTimeout)
			for _, p := range []*peer.Peer{s, cl} {
				checkWolfSSLSession(t, p, c.version, c.suite)
			}
			if err := cl.Wait(t, sanityTimeout); err != nil {
				t.Errorf("%v: %v", cl, err)
			}
			if got := tap.sawHelloRetryRequest(); got != c.hrr {
				t.Errorf("server sent a HelloRetryRequest: %v, want %v", got, c.hrr)
			}
		})
	}
}

// TestPeerSanityWolfSSLResume checks that the wolfSSL client resumes its
// session with the wolfSSL server: with a ticket in DTLS 1.3.
func TestPeerSanityWolfSSLResume(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	opts := peer.Options{Chain: peer.NewChain(t, peer.ChainOptions{}), Args: []string{peer.WolfSSLServerResume}}
	s := w.Server(t, opts)
	opts.Addr, opts.Args = s.Addr, []string{peer.WolfSSLClientResume}
	cl := w.Client(t, opts)
	cl.Await(t, "(?m)"+regexp.QuoteMeta(peer.WolfSSLResumeLine)+"$", sanityTimeout)
	for _, p := range []*peer.Peer{s, cl} {
		p.Await(t, peer.WolfSSLResumed, sanityTimeout)
	}
	if err := s.Wait(t, sanityTimeout); err != nil {
		t.Errorf("%v: %v", s, err)
	}
}

// TestPeerSanityWolfSSLUntrustedServer checks that the wolfSSL client
// refuses a server certificate from a CA it does not trust.
func TestPeerSanityWolfSSLUntrustedServer(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	s := w.Server(t, peer.Options{Chain: peer.NewChain(t, peer.ChainOptions{})})
	c := w.Client(t, peer.Options{Chain: peer.NewChain(t, peer.ChainOptions{}), Addr: s.Addr})
	if err := c.Wait(t, sanityTimeout); err == nil {
		t.Errorf("%v exited successfully with a server certificate from a CA it does not trust", c)
	}
	if regexp.MustCompile(peer.WolfSSLHandshakeDone).MatchString(c.Output()) {
		t.Errorf("%v completed a handshake with a server certificate from a CA it does not trust", c)
	}
}

// checkWolfSSLSession checks the version and suite a wolfSSL peer reports.
func checkWolfSSLSession(t *testing.T, p *peer.Peer, version, suite string) {
	t.Helper()
	if got := p.Await(t, peer.WolfSSLVersion, sanityTimeout)[1]; got != version {
		t.Errorf("%v negotiated %s, want %s", p, got, version)
	}
	if got := p.Await(t, peer.WolfSSLHandshakeDone, sanityTimeout)[1]; got != suite {
		t.Errorf("%v negotiated %s, want %s", p, got, suite)
	}
}

// helloRetryRequestRandom is the Random of a HelloRetryRequest, SHA-256 of
// "HelloRetryRequest" (RFC 8446, Section 4.1.3).
var helloRetryRequestRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// sawHelloRetryRequest reports whether the server sent a plaintext
// handshake record holding the start of a ServerHello whose Random marks
// it as a HelloRetryRequest.
func (r *relay) sawHelloRetryRequest() bool {
	return slices.ContainsFunc(r.serverHelloRandoms(), func(r []byte) bool {
		return bytes.Equal(r, helloRetryRequestRandom)
	})
}

// serverHelloRandoms returns the Random of every ServerHello, or
// HelloRetryRequest, that the server sent in a datagram that starts with
// it, retransmissions included.
func (r *relay) serverHelloRandoms() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var randoms [][]byte
	for _, d := range r.toClient {
		if r, ok := datagramServerHelloRandom(d); ok {
			randoms = append(randoms, r)
		}
	}
	return randoms
}

// datagramServerHelloRandom reads the DTLSPlaintext records at the start
// of d (RFC 9147, Section 4) and returns the Random of the first that holds
// the start of a ServerHello. It stops at the first record that is not a
// DTLSPlaintext, such as a DTLSCiphertext with its unified header.
func datagramServerHelloRandom(d []byte) ([]byte, bool) {
	const handshake, serverHello = 22, 2
	s := cryptobyte.String(d)
	for !s.Empty() {
		var typ uint8
		var version, epoch uint16
		var seq uint64
		var fragment cryptobyte.String
		if !s.ReadUint8(&typ) || typ&0xe0 == 0x20 { // a unified header
			return nil, false
		}
		if !s.ReadUint16(&version) || !s.ReadUint16(&epoch) ||
			!s.ReadUint48(&seq) || !s.ReadUint16LengthPrefixed(&fragment) {
			return nil, false
		}
		if typ != handshake || epoch != 0 {
			continue
		}
		var msgType uint8
		var length, offset, fragLength uint32
		var msgSeq, legacyVersion uint16
		var random []byte
		if fragment.ReadUint8(&msgType) && fragment.ReadUint24(&length) && fragment.ReadUint16(&msgSeq) &&
			fragment.ReadUint24(&offset) && fragment.ReadUint24(&fragLength) &&
			msgType == serverHello && offset == 0 &&
			fragment.ReadUint16(&legacyVersion) && fragment.ReadBytes(&random, 32) {
			return bytes.Clone(random), true
		}
	}
	return nil, false
}

// TestPeerSanityWolfSSLMTU checks that Options.MTU means the link MTU for
// the wolfSSL peers too, as TestPeerSanityMTU checks for the others, except
// that wolfSSL leaves some room: with a chain large enough to need
// fragmenting, no datagram exceeds the MTU less the IPv4 and UDP headers,
// and the largest to the client comes within 64 bytes of it.
func TestPeerSanityWolfSSLMTU(t *testing.T) {
	t.Parallel()
	const mtu, slack = 1000, 64
	w := peer.WolfSSL(t)
	opts := peer.Options{Chain: peer.NewChain(t, peer.ChainOptions{Key: peer.RSA2048, Large: true}), MTU: mtu}
	s := w.Server(t, opts)
	relay := newRelay(t, s.Addr)
	opts.Addr = relay.addr()
	c := w.Client(t, opts)
	c.Await(t, "(?m)^"+regexp.QuoteMeta(peer.WolfSSLClientLine)+"$", sanityTimeout)
	limit := mtu - 28
	sizesToServer, sizesToClient := relay.sizes()
	toServer, toClient := slices.Max(append(sizesToServer, 0)), slices.Max(append(sizesToClient, 0))
	if toServer > limit || toClient > limit || toClient <= limit-slack {
		t.Errorf("largest datagrams: %d bytes to the server, %d to the client; want at most %d, and more than %d to the client",
			toServer, toClient, limit, limit-slack)
	}
}
