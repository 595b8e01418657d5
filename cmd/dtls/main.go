// Command dtls is a DTLS 1.3, 1.2 and 1.0 client and server for trying
// things out, in the manner of openssl s_client and s_server.
//
//	dtls client [flags] HOST:PORT
//	dtls server [flags] [HOST]:PORT
//	dtls demo
//	dtls version
//
// The client completes a handshake, sends each line of standard input as
// one datagram and prints each datagram it receives as one line. The server
// accepts associations on one UDP socket (both IPv4 and IPv6 when HOST is
// empty or "::") and echoes each datagram back, or prints it with
// -echo=false. The demo runs a server and a client in one process over the
// loopback interface, with DTLS 1.3, 1.2 and 1.0 in turn.
//
// Both offer DTLS 1.3 and 1.2 by default, and use 1.3 when the peer
// speaks it (RFC 9147); -dtls1_3, -dtls1_2 and -dtls1 choose one version.
// Flags follow OpenSSL's names (-dtls1, -dtls1_2, -dtls1_3, -cipher,
// -cert, -key, -CAfile, -psk, -psk_identity, -psk_hint, -mtu, -keyupdate,
// ...) and may be written with one dash or two. Run "dtls client -h" or "dtls server -h" for the
// list.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

func main() {
	os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: newLines(os.Stdout), stderr: newLines(os.Stderr)}))
}

// env is what a command reads and writes, so that tests could run it in
// process.
type env struct {
	stdin          io.Reader
	stdout, stderr *lines
}

const usage = `Usage:
  dtls client [flags] HOST:PORT    handshake, send each line of standard input as
                                   a datagram, print each datagram received
  dtls server [flags] [HOST]:PORT  accept associations; echo or print datagrams
  dtls demo [-v]                   a loopback server and client, DTLS 1.3, 1.2, 1.0
  dtls version                     the version of dtls and of Go

Run "dtls client -h" or "dtls server -h" for the flags of one; "dtls -h"
shows both.
`

// run runs the command line args and returns the exit status: 0 for
// success, 1 for a failure, 2 for a usage error.
func run(args []string, e *env) int {
	if len(args) == 0 {
		e.stderr.print(usage)
		return 2
	}
	switch args[0] {
	case "client":
		return runClient(args[1:], e)
	case "server":
		return runServer(args[1:], e)
	case "demo":
		return runDemo(args[1:], e)
	case "version":
		return runVersion(e)
	case "-h", "-help", "--help", "help":
		e.stderr.print(usage + "\n")
		runClient([]string{"-h"}, e)
		e.stderr.print("\n")
		runServer([]string{"-h"}, e)
		return 0
	}
	e.stderr.printf("dtls: unknown command %q\n%s", args[0], usage)
	return 2
}

// lines serializes writes to one output, so that lines from different
// associations never interleave.
type lines struct {
	mu sync.Mutex
	w  io.Writer
}

func newLines(w io.Writer) *lines { return &lines{w: w} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lines) print(s string) { _, _ = io.WriteString(l, s) }

func (l *lines) printf(format string, args ...any) { l.print(fmt.Sprintf(format, args...)) }

// line writes s as one line: a trailing newline in s (as OpenSSL's tools
// send with each line) is not doubled, and other line breaks are kept.
func (l *lines) line(s []byte) {
	s = []byte(strings.TrimSuffix(string(s), "\n"))
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(append(s, '\n'))
}

// oneLine formats err for a one-line report.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// runVersion prints the module's version, as the build recorded it, and
// Go's.
func runVersion(e *env) int {
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	e.stdout.printf("dtls (pathdtls) %s, %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
