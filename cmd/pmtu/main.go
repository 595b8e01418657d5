// Command pmtu finds the path MTU to a host, as tracepath does, and keeps
// finding it where routers send no ICMP.
//
//	pmtu probe [flags] HOST[:PORT]
//	pmtu echo [flags] [HOST]:PORT
//
// Probe sends UDP datagrams with the Don't Fragment bit set (RFC 791
// section 3.1; IPv6 routers never fragment, RFC 8200 section 5) and learns
// which sizes reach the host from the host's own answers: an ICMP port
// unreachable from a closed port (the default, port 33434 as traceroute
// uses), or a reply from a UDP echo service (RFC 862) with -echo. A
// router's ICMP "fragmentation needed" (RFC 1191) or "Packet Too Big" (RFC
// 8201) about a probe is validated and taken as a hint, which a probe of the
// size it names then confirms; a probe that brings no answer is lost. The
// search is the one of RFC 8899 (package pmtu), so it finds the exact path
// MTU through a black hole that drops every ICMP error, and it tolerates
// random loss.
//
// ICMP errors are read from the probe socket's own error queue on Linux,
// which needs no privilege, and elsewhere from a raw ICMP socket, which
// does; without either, only -echo can show that a probe arrived. Every
// ICMP error must quote a probe of this run (each carries a random token
// and a sequence number) before it counts.
//
// The last line gives the path MTU, the largest UDP payload that fits it,
// the number of probes, the time taken and whether a router's ICMP
// too-big report was seen; with -json, standard output holds one JSON
// object instead, listing every probe. The
// exit status is 0 when the path MTU was found, 1 when it was not (the host
// is unreachable or never answered, or this system cannot set the Don't
// Fragment bit) and 2 for a usage error.
//
// Probe -dtls finds the path MTU to a DTLS server instead, offering DTLS
// 1.3 (RFC 9147) and 1.2 (RFC 6347), or one of them or DTLS 1.0 (RFC
// 4347) with -dtls1_3, -dtls1_2 or -dtls1: after a handshake, package
// transport probes the path in-band (RFC 8899 section 6.2). In DTLS 1.3 a
// probe is a KeyUpdate padded to the size under test (RFC 8446 section
// 5.4), whose record the server's ACK names (RFC 9147 sections 7 and 8); in
// DTLS 1.2 and 1.0 it is a padded heartbeat request (RFC 6520; RFC 8899
// section 6.2.1), which the server answers. The result adds the version,
// what carried the probes and the largest DTLS application payload. A
// DTLS 1.2 or 1.0 server that does not accept heartbeat requests cannot
// be probed: the command then fails, giving the path MTU learned during
// the handshake.
//
// Echo runs a UDP echo service (RFC 862) for probe -echo to use.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, tty: isTerminal(os.Stderr)}))
}

// env is what a command writes to, so that tests can run it in process.
type env struct {
	stdout, stderr io.Writer
	// tty reports whether stderr is a terminal, where a progress line
	// that rewrites itself makes sense.
	tty bool
}

const usage = `Usage:
  pmtu probe [flags] HOST[:PORT]  find the path MTU to HOST with UDP probes
  pmtu echo [flags] [HOST]:PORT   run a UDP echo service for probe -echo

Run "pmtu probe -h" or "pmtu echo -h" for the flags.
`

// Exit statuses.
const (
	exitOK    = 0 // the path MTU was found, or the echo service ended cleanly
	exitFail  = 1 // it was not: the reason is on standard error
	exitUsage = 2 // the command line is wrong
)

// run runs the command line args and returns the exit status.
func run(args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "probe":
		return runProbe(args[1:], e)
	case "echo":
		return runEcho(args[1:], e)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "pmtu: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// isTerminal reports whether f is a terminal (a character device), the
// test that decides whether a progress line is drawn.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// oneLine formats err for a one-line message.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
