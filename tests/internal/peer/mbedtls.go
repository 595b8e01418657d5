package peer

import (
	"embed"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// mbedTLSSources are the C sources of the Mbed TLS peers: see
// mbedtls/peer.h for what they do and the options they take.
//
//go:embed mbedtls/*.c mbedtls/*.h
var mbedTLSSources embed.FS

// The Mbed TLS programs and the libraries they link with, in link order.
var (
	mbedTLSPrograms = map[string][]string{
		"dtls_server": {"server.c", "common.c"},
		"dtls_client": {"client.c", "common.c"},
	}
	mbedTLSLibs = []string{"-lmbedtls", "-lmbedx509", "-lmbedcrypto"}
)

// mbedTLSHeaderCheck compiles only if the Mbed TLS 2 headers are there.
const mbedTLSHeaderCheck = `#include <mbedtls/version.h>
#include <mbedtls/ssl.h>
#if MBEDTLS_VERSION_MAJOR != 2
#error "not Mbed TLS 2"
#endif
`

// MbedTLS is a DTLS 1.2 server and client built on Mbed TLS 2.28, the
// long-term-support branch found on many embedded devices. Debian ships
// the library (libmbedtls-dev) but no DTLS programs, so [BuildMbedTLS]
// compiles the project's own from C sources.
//
// The server answers a ClientHello without a cookie with a
// HelloVerifyRequest (RFC 6347, Section 4.2.1), serves one connection,
// echoes each record of application data it receives, printing it, and
// exits once the client closes the connection. It reads nothing from its
// standard input. With a plain PSK suite it sends no ServerKeyExchange,
// hence no identity hint: Mbed TLS 2.28 supports none.
//
// The client sends each line of its standard input as one record, prints
// what it receives, and sends close_notify and exits when its standard
// input closes or when the server closes the connection.
//
// Both print [MbedTLSHandshakeDone] once the handshake is complete.
type MbedTLS struct {
	dir string // holds dtls_server and dtls_client
}

// MbedTLSHandshakeDone is a pattern, in [regexp] syntax, for the line the
// Mbed TLS peers print once the handshake is complete. It captures the
// protocol version ("DTLSv1.2") and the Mbed TLS name of the cipher suite
// ("TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256", the IANA name with hyphens).
const MbedTLSHandshakeDone = `(?m)^handshake done: (\S+) (\S+)$`

// BuildMbedTLS compiles the Mbed TLS peers with gcc into a directory from
// t.TempDir. It skips t through [testenv.SkipOrFail] when gcc or the
// Mbed TLS 2 headers are missing, and fails it if they do not compile.
func BuildMbedTLS(t testing.TB) *MbedTLS {
	t.Helper()
	gcc := testenv.LookPath(t, "gcc")
	dir := t.TempDir()
	check := exec.Command(gcc, "-fsyntax-only", "-x", "c", "-")
	check.Stdin = strings.NewReader(mbedTLSHeaderCheck)
	if out, err := check.CombinedOutput(); err != nil {
		testenv.SkipOrFail(t, "Mbed TLS 2 headers not found; apt-get install libmbedtls-dev (%v: %s)", err, out)
	}
	if err := writeMbedTLSSources(dir); err != nil {
		t.Fatal(err)
	}
	for prog, srcs := range mbedTLSPrograms {
		args := append([]string{"-std=gnu11", "-O1", "-Wall", "-Wextra", "-o", prog}, srcs...)
		cmd := exec.Command(gcc, append(args, mbedTLSLibs...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the Mbed TLS peer %s: %v\n%s", prog, err, out)
		}
	}
	return &MbedTLS{dir: dir}
}

// writeMbedTLSSources copies the C sources into dir.
func writeMbedTLSSources(dir string) error {
	entries, err := mbedTLSSources.ReadDir("mbedtls")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := mbedTLSSources.ReadFile("mbedtls/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Server starts the Mbed TLS server as opts asks and waits until it
// listens. It always does the cookie exchange, whatever opts.Listen says,
// and serves one connection: opts.Accept must be 0 or 1.
func (m *MbedTLS) Server(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, suite, err := opts.resolve(true)
	if err == nil && opts.Accept != 0 && opts.Accept != 1 {
		err = errors.New("peer: the Mbed TLS server serves one connection")
	}
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-accept", opts.Addr.String()}
	if opts.Chain != nil {
		args = append(args, "-cert", opts.Chain.CertFile, "-key", opts.Chain.KeyFile)
	}
	args = append(args, mbedTLSCommonArgs(opts, suite)...)
	p := &Peer{Process: opts.start(t, filepath.Join(m.dir, "dtls_server"), args), Addr: opts.Addr}
	p.Await(t, `(?m)^listening on `, readyTimeout)
	return p
}

// Client starts the Mbed TLS client connecting to opts.Addr as opts asks.
func (m *MbedTLS) Client(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, suite, err := opts.resolve(false)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-connect", opts.Addr.String()}
	if opts.Chain != nil {
		args = append(args, "-CAfile", opts.Chain.CAFile, "-servername", "localhost")
	}
	args = append(args, mbedTLSCommonArgs(opts, suite)...)
	return &Peer{Process: opts.start(t, filepath.Join(m.dir, "dtls_client"), args), Addr: opts.Addr}
}

// MbedTLSName returns the name Mbed TLS gives a cipher suite: its IANA
// name with hyphens for underscores.
func MbedTLSName(s Suite) string { return strings.ReplaceAll(s.Name, "_", "-") }

// mbedTLSCommonArgs returns the arguments that servers and clients share:
// the version, the suite, the PSK, the MTU and the caller's extra
// arguments. The programs take a datagram size, as GnuTLS does.
func mbedTLSCommonArgs(opts Options, suite *Suite) []string {
	args := []string{"-dtls1_2"}
	if opts.Version == DTLS10 {
		args[0] = "-dtls1"
	}
	if suite != nil {
		args = append(args, "-cipher", MbedTLSName(*suite))
	}
	if opts.PSK != nil {
		args = append(args, "-psk", hex.EncodeToString(opts.PSK.Key), "-psk_identity", opts.PSK.Identity)
	}
	if opts.MTU > 0 {
		args = append(args, "-mtu", strconv.Itoa(opts.MTU-datagramOverhead(opts.Addr)))
	}
	return append(args, opts.Args...)
}
