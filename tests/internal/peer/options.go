package peer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// PSK is a pre-shared key for the PSK key exchange of RFC 4279.
type PSK struct {
	// Key is the secret.
	Key []byte
	// Identity is the name the client sends for the key (RFC 4279,
	// Section 2, psk_identity).
	Identity string
	// Hint is the identity hint a server sends in its ServerKeyExchange
	// (RFC 4279, Section 2, psk_identity_hint); clients ignore it.
	Hint string
}

// Options configures a peer for [OpenSSLServer], [OpenSSLClient],
// [GnuTLSServer] and [GnuTLSClient]. Certificate suites need Chain, PSK
// suites need PSK; with both, the peer offers both kinds.
type Options struct {
	// Version is the only protocol version the peer speaks; zero means
	// DTLS12. For DTLS 1.0, OpenSSL peers get security level 0 (the
	// "@SECLEVEL=0" cipher-string suffix), without which OpenSSL 3
	// refuses the SHA-1 signatures that DTLS 1.0 needs.
	Version Version
	// Suite is the IANA name of the only cipher suite the peer offers or
	// accepts, one of those [Suites] lists. Empty leaves the tool's
	// default list.
	Suite string
	// Chain is, for a server, the certificate chain and key it presents
	// and, for a client, the chain whose root CA it trusts. A client also
	// checks that the server's certificate is valid for "localhost",
	// whatever address it connects to. A client without Chain does not
	// verify the server's certificate.
	Chain *Chain
	// PSK is the pre-shared key, if any.
	PSK *PSK
	// MTU is the link MTU in bytes, IP and UDP headers included, that the
	// peer sizes its datagrams for. Zero leaves the tool's default:
	// OpenSSL asks the kernel for the path MTU of a connected socket (see
	// Listen), GnuTLS sends datagrams of up to 1300 bytes, Mbed TLS
	// sets no limit. GnuTLS and Mbed TLS take a datagram size, so their
	// peers get MTU minus 28 (IPv4) or 48 (IPv6) bytes.
	MTU int
	// Addr is, for a server, the address to listen on. A zero port means
	// one from [FreeUDPAddr], and the zero value a free port on
	// 127.0.0.1. GnuTLS servers listen on all addresses and use only the
	// port. For a client, Addr is the server's address and must be set.
	Addr netip.AddrPort
	// Listen makes an OpenSSL server answer a ClientHello without a
	// cookie with a HelloVerifyRequest before it keeps any state (openssl
	// s_server -listen; RFC 6347, Section 4.2.1), then connect its socket
	// to the client. Without it the socket stays unconnected and, unless
	// MTU is set, the server sends datagrams of at most 228 bytes.
	// GnuTLS and Mbed TLS servers always answer with a
	// HelloVerifyRequest.
	Listen bool
	// Accept is the number of connections an OpenSSL server serves before
	// it exits; zero means one, a negative number no limit. GnuTLS
	// servers never exit by themselves; Mbed TLS servers serve one.
	Accept int
	// Stdin is the script fed to the peer's standard input. openssl
	// s_client and s_server send what they read to their peer; so does
	// gnutls-cli and the Mbed TLS client, a line at a time. gnutls-serv
	// and the Mbed TLS server read nothing and echo what they receive.
	Stdin Script
	// NoTickets makes the peer neither ask for nor give session tickets
	// (RFC 5077): "-no_ticket" for OpenSSL, "%NO_TICKETS" in the GnuTLS
	// priority string (gnutls-cli --noticket still asks for them in DTLS
	// 1.2). Sessions are then resumed by their ID.
	NoTickets bool
	// Args are extra command-line arguments, added after all others.
	Args []string
	// Netns is the name of the network namespace, as "ip netns list"
	// shows it, in which the tool runs: the command becomes "ip netns
	// exec Netns tool ...". Empty runs it in the test's own namespace.
	// In a namespace, Addr is an address of that namespace, and a server
	// needs a port in it: the harness cannot look for a free port there,
	// but FreeUDPAddr called inside the namespace can.
	Netns string
}

// Peer is a running openssl or gnutls command-line tool.
type Peer struct {
	*Process
	// Addr is the address the server listens on or the client connects
	// to.
	Addr netip.AddrPort
}

// Patterns, in [regexp] syntax, for [Process.Await] and [Step.Await]:
// what the tools print once a handshake is complete. The OpenSSL patterns
// capture the OpenSSL name of the negotiated cipher suite. gnutls-serv
// prints nothing that marks a handshake.
const (
	OpenSSLServerHandshakeDone = `(?m)^CIPHER is (\S+)$`
	OpenSSLClientHandshakeDone = `(?m)^(?:New|Reused), [^(\s]\S*, Cipher is (\S+)$`
	GnuTLSClientHandshakeDone  = `(?m)^- Handshake was completed$`
)

// GnuTLSClientDescription is a pattern, in [regexp] syntax, for the line
// in which gnutls-cli describes the session it negotiated. It captures the
// description, such as
// "(DTLS1.2-X.509)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-GCM)".
const GnuTLSClientDescription = `(?m)^- Description: (\S+)$`

// FreeUDPAddr returns an address on ip whose UDP port was free a moment
// ago: it binds port 0 on ip, notes the port the kernel chose and closes
// the socket. Another process may take the port before the caller binds
// it; a server peer then fails to start and fails the test with the
// tool's message. Tests that cannot accept that race bind their own
// socket and pass its address.
func FreeUDPAddr(t testing.TB, ip netip.Addr) netip.AddrPort {
	t.Helper()
	addr, err := freeUDPAddr(ip)
	if err != nil {
		t.Fatalf("finding a free UDP port on %v: %v", ip, err)
	}
	return addr
}

func freeUDPAddr(ip netip.Addr) (netip.AddrPort, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer c.Close()
	return netip.AddrPortFrom(ip, c.LocalAddr().(*net.UDPAddr).AddrPort().Port()), nil
}

// resolve checks o, fills in the defaults for a peer in the given role and
// returns the suite o asks for, nil for none.
func (o Options) resolve(server bool) (Options, *Suite, error) {
	if o.Version == 0 {
		o.Version = DTLS12
	}
	if o.Version != DTLS10 && o.Version != DTLS12 {
		return o, nil, fmt.Errorf("peer: unsupported version %v", o.Version)
	}
	var err error
	switch {
	case !server && (!o.Addr.IsValid() || o.Addr.Port() == 0):
		return o, nil, errors.New("peer: a client needs the server's address in Options.Addr")
	case o.Netns != "" && (!o.Addr.IsValid() || o.Addr.Port() == 0):
		return o, nil, errors.New("peer: a server in a namespace needs an address and port of that namespace in Options.Addr")
	case !o.Addr.IsValid():
		o.Addr, err = freeUDPAddr(netip.AddrFrom4([4]byte{127, 0, 0, 1}))
	case o.Addr.Port() == 0:
		o.Addr, err = freeUDPAddr(o.Addr.Addr())
	}
	if err != nil {
		return o, nil, fmt.Errorf("peer: finding a free UDP port: %v", err)
	}
	if o.Suite == "" {
		return o, nil, nil
	}
	s, ok := LookupSuite(o.Suite)
	switch {
	case !ok:
		return o, nil, fmt.Errorf("peer: unknown cipher suite %q", o.Suite)
	case s.DTLS12Only() && o.Version == DTLS10:
		return o, nil, fmt.Errorf("peer: %s needs DTLS 1.2", s.Name)
	}
	return o, &s, nil
}

// start starts the tool name with args and o's standard input, inside
// o.Netns if it is set.
func (o Options) start(t testing.TB, name string, args []string) *Process {
	t.Helper()
	if o.Netns == "" {
		return Start(t, name, args, o.Stdin)
	}
	return Start(t, "ip", netnsExecArgs(o.Netns, testenv.LookPath(t, name), args), o.Stdin)
}

// netnsExecArgs returns the arguments of the ip command that runs the
// executable at path with args inside the namespace netns.
func netnsExecArgs(netns, path string, args []string) []string {
	return append([]string{"netns", "exec", netns, path}, args...)
}

// datagramOverhead returns the IP and UDP header bytes of a datagram to
// or from addr.
func datagramOverhead(addr netip.AddrPort) int {
	if addr.Addr().Unmap().Is4() {
		return 20 + 8
	}
	return 40 + 8
}
