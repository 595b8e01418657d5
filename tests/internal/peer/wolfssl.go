package peer

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// WolfSSLEnv is the environment variable naming the directory that
// .ci/wolfssl.sh installed wolfSSL's example programs into. Without it,
// [WolfSSL] looks in the script's default directory, under
// $PATHDTLS_CACHE or /var/cache/pathdtls.
const WolfSSLEnv = "PATHDTLS_WOLFSSL"

// wolfSSLDirName is the directory .ci/wolfssl.sh installs into under its
// cache directory.
const wolfSSLDirName = "wolfssl-5.5.4-dtls13"

// Wolf is wolfSSL 5.5.4's example client and server, built from Debian's
// source with DTLS 1.3 by .ci/wolfssl.sh (Debian's own packages have
// neither the programs nor DTLS 1.3). [Wolf.Server] and [Wolf.Client]
// start them with -u (DTLS) and -v 4 (DTLS 1.3) or -v 3 (DTLS 1.2).
//
// The programs read nothing from their standard input; Options.Stdin is
// fed to them but ignored. The client sends one line, [WolfSSLClientLine],
// prints the one record it gets back, and closes the connection. The
// server echoes every record it receives (-e) until the client closes
// the connection, or, with [WolfSSLServerKeyUpdate], reads one record and
// answers [WolfSSLServerLine]. Both print [WolfSSLVersion] then
// [WolfSSLHandshakeDone] once the handshake is complete.
//
// A DTLS 1.3 server answers every first ClientHello with a
// HelloRetryRequest carrying a cookie (RFC 9147, Section 5.1), whatever
// Options.Listen says; a DTLS 1.2 server always sends a
// HelloVerifyRequest. [WolfSSLServerNoCookie] turns the DTLS 1.3 cookie
// off.
//
// What the programs cannot express, so that [Wolf.Server] and
// [Wolf.Client] fail the test if asked for it:
//   - a PSK other than their built-in one ([WolfSSLPSK], [WolfSSLPSK13]);
//   - IPv6 (the build has no IPv6 in its examples); and a server address
//     other than 127.0.0.1 binds all IPv4 addresses (-b);
//   - NoTickets for a client (the client always accepts tickets);
//   - DTLS 1.0.
//
// A client checks the server's name ("localhost", -m) only when it
// connects to 127.0.0.1, as the program checks the name it connects to.
// With a PSK, a client offers only the PSK and ignores Options.Chain.
type Wolf struct {
	dir string // holds client, server and certs/
}

// Patterns, in [regexp] syntax, for [Process.Await]: what the wolfSSL
// programs print. WolfSSLVersion captures the protocol ("DTLSv1.3"),
// WolfSSLHandshakeDone the IANA name of the negotiated cipher suite; both
// programs print them, in that order, once the handshake is complete.
// WolfSSLResumed is printed by both once a session was resumed.
const (
	WolfSSLVersion       = `(?m)^SSL version is (\S+)$`
	WolfSSLHandshakeDone = `(?m)^SSL cipher suite is (\S+)$`
	WolfSSLResumed       = `(?m)^SSL reused session$`
)

// The lines the programs send: the client sends WolfSSLClientLine (and
// WolfSSLResumeLine on a resumed connection), the server, when it does not
// echo, WolfSSLServerLine. The client's lines end in "\n" on the wire.
const (
	WolfSSLClientLine = "hello wolfssl!"
	WolfSSLResumeLine = "resuming wolfssl!"
	WolfSSLServerLine = "I hear you fa shizzle!"
)

// Extra arguments for the wolfSSL programs, for Options.Args.
const (
	// WolfSSLClientResume makes the client, after its first connection,
	// connect again resuming the session (with a ticket in DTLS 1.3) and
	// send WolfSSLResumeLine.
	WolfSSLClientResume = "-r"
	// WolfSSLServerResume makes the server serve a second connection,
	// which may resume the first one's session.
	WolfSSLServerResume = "-r"
	// WolfSSLClientKeyUpdate makes the client send a KeyUpdate (RFC
	// 8446, Section 4.6.3) before its line, and send its line a second
	// time once it has the reply.
	WolfSSLClientKeyUpdate = "-I"
	// WolfSSLServerKeyUpdate makes the server read one record, send a
	// KeyUpdate, then WolfSSLServerLine, then read one more record: the
	// program updates keys only when it does not echo, so the server
	// then does not.
	WolfSSLServerKeyUpdate = "-U"
	// WolfSSLClientNoKeyShare makes the client send its first
	// ClientHello without a key share, so that the server asks for one
	// in a HelloRetryRequest (RFC 8446, Section 4.1.4).
	WolfSSLClientNoKeyShare = "-J"
	// WolfSSLServerNoCookie makes a DTLS 1.3 server skip the cookie
	// exchange, answering a ClientHello that has an acceptable key share
	// with a ServerHello.
	WolfSSLServerNoCookie = "-Jn"
	// WolfSSLServerVerifyClient makes the server ask for a client
	// certificate, verify it against Options.Chain's root (-A) and fail
	// the handshake without one (-F): [Wolf.Server] then leaves out -d.
	WolfSSLServerVerifyClient = "-F"
)

// WolfSSLPSK is the pre-shared key built into the wolfSSL programs for DTLS
// 1.2 (and TLS 1.2): identity "Client_identity", key 0x1a2b3c4d, and the
// server's identity hint.
var WolfSSLPSK = PSK{Key: []byte{0x1a, 0x2b, 0x3c, 0x4d}, Identity: "Client_identity", Hint: "cyassl server"}

// WolfSSLPSK13 is the pre-shared key built into the wolfSSL programs for
// DTLS 1.3: 32 bytes, 0x01, 0x23, ... 0xef four times over. The server
// accepts any identity that starts with "Client_identity"; the client
// sends, for each DTLS 1.3 suite it offers, that identity followed by the
// last six characters of the suite's name: [WolfSSLPSK13Identity].
var WolfSSLPSK13 = PSK{Key: bytes.Repeat([]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}, 4), Identity: "Client_identity"}

// WolfSSLPSK13Identity returns the PSK identity the wolfSSL client sends
// with suite, the IANA name of a TLS 1.3 suite: "Client_identitySHA256"
// for TLS_AES_128_GCM_SHA256. The client's default suite is
// TLS_AES_128_GCM_SHA256.
func WolfSSLPSK13Identity(suite string) string {
	return WolfSSLPSK13.Identity + suite[max(0, len(suite)-6):]
}

// tls13Suites are the IANA names of the TLS 1.3 cipher suites (RFC 8446,
// Appendix B.4) the build has; the programs take the IANA names.
var tls13Suites = []string{
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
	"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
}

// WolfSSL returns the wolfSSL programs that .ci/wolfssl.sh built, found
// through [WolfSSLEnv] or in the script's default directory. It skips t
// through [testenv.SkipOrFail] when they are not there.
func WolfSSL(t testing.TB) *Wolf {
	t.Helper()
	dir := os.Getenv(WolfSSLEnv)
	if dir == "" {
		cache := os.Getenv("PATHDTLS_CACHE")
		if cache == "" {
			cache = "/var/cache/pathdtls"
		}
		dir = filepath.Join(cache, wolfSSLDirName)
	}
	for _, name := range []string{"client", "server", "certs/dh2048.pem"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			testenv.SkipOrFail(t, "wolfSSL with DTLS 1.3 not built; run bash .ci/wolfssl.sh (as root), or set %s (%v)", WolfSSLEnv, err)
		}
	}
	return &Wolf{dir: dir}
}

// Server starts the wolfSSL server as opts asks and waits until its socket
// is bound. Options.Accept is the number of connections it serves, one by
// default, without limit if negative. It needs Options.Chain or
// Options.PSK: its own test certificates have expired. It does not ask for
// a client certificate (-d) unless Options.Args has
// [WolfSSLServerVerifyClient].
func (w *Wolf) Server(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, err := opts.resolveWolfSSL(true)
	if err != nil {
		t.Fatal(err)
	}
	args := wolfSSLServerArgs(opts)
	p := &Peer{Process: w.start(t, opts, "server", args), Addr: opts.Addr}
	p.awaitUDPBound(t, opts.Addr.Port(), readyTimeout)
	return p
}

// Client starts the wolfSSL client connecting to opts.Addr as opts asks.
func (w *Wolf) Client(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, err := opts.resolveWolfSSL(false)
	if err != nil {
		t.Fatal(err)
	}
	return &Peer{Process: w.start(t, opts, "client", wolfSSLClientArgs(opts)), Addr: opts.Addr}
}

// start starts the program name with args. The programs look for their
// certs/ directory from their working directory up, and exit if they do
// not find it; env -C starts them in w.dir. stdbuf -oL makes their
// standard output line-buffered, so that the harness sees each line as it
// is printed.
func (w *Wolf) start(t testing.TB, opts Options, name string, args []string) *Process {
	t.Helper()
	stdbuf := testenv.LookPath(t, "stdbuf")
	return opts.start(t, "env", append([]string{"-C", w.dir, stdbuf, "-oL", filepath.Join(w.dir, name)}, args...))
}

// resolveWolfSSL checks o for the wolfSSL programs and fills in the
// defaults as [Options.resolve] does, except that the version defaults to
// DTLS13 and the suite is checked against that version.
func (o Options) resolveWolfSSL(server bool) (Options, error) {
	v, suite := o.Version, o.Suite
	if v == 0 {
		v = DTLS13
	}
	if v != DTLS13 && v != DTLS12 {
		return o, fmt.Errorf("peer: the wolfSSL peers speak DTLS 1.3 and 1.2, not %v", v)
	}
	o.Version, o.Suite = DTLS12, ""
	o, _, err := o.resolve(server)
	if err != nil {
		return o, err
	}
	o.Version, o.Suite = v, suite
	switch {
	case v == DTLS13 && suite != "" && !slices.Contains(tls13Suites, suite):
		return o, fmt.Errorf("peer: %q is not a TLS 1.3 cipher suite the wolfSSL build has", suite)
	case v == DTLS12 && suite != "":
		if _, ok := LookupSuite(suite); !ok {
			return o, fmt.Errorf("peer: unknown cipher suite %q", suite)
		}
	}
	if !o.Addr.Addr().Is4() {
		return o, fmt.Errorf("peer: the wolfSSL peers speak only IPv4, not %v", o.Addr)
	}
	if err := o.checkWolfSSLPSK(); err != nil {
		return o, err
	}
	switch {
	case server && o.Chain == nil && o.PSK == nil:
		return o, errors.New("peer: the wolfSSL server needs Options.Chain or Options.PSK (its own certificates have expired)")
	case !server && o.NoTickets:
		return o, errors.New("peer: the wolfSSL client cannot refuse session tickets")
	}
	return o, nil
}

// checkWolfSSLPSK checks that o.PSK, if set, is the key built into the
// programs for o.Version.
func (o Options) checkWolfSSLPSK() error {
	if o.PSK == nil {
		return nil
	}
	want := WolfSSLPSK
	if o.Version == DTLS13 {
		want = WolfSSLPSK13
	}
	if !bytes.Equal(o.PSK.Key, want.Key) || !strings.HasPrefix(o.PSK.Identity, want.Identity) {
		return fmt.Errorf("peer: the wolfSSL peers know only their own PSK for %v (identity %q, key %x)", o.Version, want.Identity, want.Key)
	}
	return nil
}

// wolfSSLServerArgs returns the server's arguments for the resolved o.
func wolfSSLServerArgs(o Options) []string {
	args := wolfSSLCommonArgs(o)
	args = append(args, "-p", strconv.Itoa(int(o.Addr.Port())))
	if o.Addr.Addr() != netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
		args = append(args, "-b")
	}
	switch {
	case o.Accept < 0:
		args = append(args, "-i")
	case o.Accept > 1:
		args = append(args, "-C", strconv.Itoa(o.Accept))
	}
	if o.Chain != nil {
		args = append(args, "-c", o.Chain.CertFile, "-k", o.Chain.KeyFile, "-A", o.Chain.CAFile)
	}
	switch {
	case o.PSK != nil && o.Chain != nil:
		args = append(args, "-j") // PSK and certificates
	case o.PSK != nil:
		args = append(args, "-s")
	}
	if !slices.Contains(o.Args, WolfSSLServerVerifyClient) {
		args = append(args, "-d")
	}
	if o.NoTickets {
		args = append(args, "-T", "a") // neither DTLS 1.2 nor 1.3 tickets
	}
	if !slices.Contains(o.Args, WolfSSLServerKeyUpdate) {
		args = append(args, "-e")
	}
	return append(args, o.Args...)
}

// wolfSSLClientArgs returns the client's arguments for the resolved o.
func wolfSSLClientArgs(o Options) []string {
	args := wolfSSLCommonArgs(o)
	host := o.Addr.Addr().String()
	loopback := o.Addr.Addr() == netip.AddrFrom4([4]byte{127, 0, 0, 1})
	if loopback {
		host = "localhost"
	}
	args = append(args, "-h", host, "-p", strconv.Itoa(int(o.Addr.Port())), "-x")
	switch {
	case o.PSK != nil:
		args = append(args, "-s")
	case o.Chain != nil && loopback:
		args = append(args, "-A", o.Chain.CAFile, "-m")
	case o.Chain != nil:
		args = append(args, "-A", o.Chain.CAFile)
	default:
		args = append(args, "-d")
	}
	return append(args, o.Args...)
}

// wolfSSLCommonArgs returns the arguments that servers and clients share:
// DTLS with the MTU, the version and the suite. Like GnuTLS, the programs
// take a datagram size, given with -u as "-u1372".
func wolfSSLCommonArgs(o Options) []string {
	u := "-u"
	if o.MTU > 0 {
		u += strconv.Itoa(o.MTU - datagramOverhead(o.Addr))
	}
	args := []string{u, "-v", "4"}
	if o.Version == DTLS12 {
		args[2] = "3"
	}
	if o.Suite != "" {
		args = append(args, "-l", o.Suite)
	}
	return args
}

// awaitUDPBound waits until the process has bound a UDP socket to port,
// polling every few milliseconds: the wolfSSL server prints nothing when
// it is ready. It fails t if the process exits or timeout passes first.
func (p *Peer) awaitUDPBound(t testing.TB, port uint16, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		bound, err := udpPortBound(p.cmd.Process.Pid, port)
		if err == nil && bound {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("%v ended (%v) before binding UDP port %d", p, exitStatus(p.err), port)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v did not bind UDP port %d within %v (%v)", p, port, timeout, err)
		}
	}
}
