package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/pathdtls/pathdtls/platform"
)

// defaultEchoAddr is where the echo service listens by default: the echo
// port of RFC 862 on every address.
const defaultEchoAddr = ":7"

const echoUsage = `Usage: pmtu echo [flags] [HOST]:PORT

Runs a UDP echo service (RFC 862): every datagram received on PORT is sent
back whole to its sender, without the Don't Fragment bit, so that replies
come back even over a narrower return path. HOST:PORT defaults to ":7",
both IPv4 and IPv6. The first line on standard error names the address
served.

Flags:
`

// runEcho runs the echo command.
func runEcho(args []string, e *env) int {
	fs := flag.NewFlagSet("pmtu echo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	verbose := fs.Bool("v", false, "print one line on standard error for each datagram echoed")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), echoUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	addr := defaultEchoAddr
	switch fs.NArg() {
	case 0:
	case 1:
		addr = fs.Arg(0)
	default:
		fmt.Fprintf(e.stderr, "pmtu echo: one address expected, got %q\n", fs.Args())
		return exitUsage
	}
	lc := net.ListenConfig{Control: platform.Control(platform.Options{DF: platform.DFDont}, nil)}
	c, err := lc.ListenPacket(context.Background(), "udp", addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmtu echo: %s\n", oneLine(err))
		return exitFail
	}
	defer c.Close()
	fmt.Fprintf(e.stderr, "pmtu echo: serving %s\n", c.LocalAddr())
	var log io.Writer
	if *verbose {
		log = e.stderr
	}
	if err := serveEcho(c, log); err != nil {
		fmt.Fprintf(e.stderr, "pmtu echo: %s\n", oneLine(err))
		return exitFail
	}
	return exitOK
}

// serveEcho sends every datagram read from c back to its sender until c
// is closed, when it returns nil. A failed send is logged, if log is not
// nil, and does not stop the service, nor do the errors that ICMP messages
// about earlier replies leave on the socket.
func serveEcho(c net.PacketConn, log io.Writer) error {
	buf := make([]byte, 1<<16)
	for {
		n, from, err := c.ReadFrom(buf)
		switch {
		case err == nil:
		case errors.Is(err, net.ErrClosed):
			return nil
		case platform.IsTransientReadError(err):
			continue
		default:
			return err
		}
		_, err = c.WriteTo(buf[:n], from)
		if log == nil {
			continue
		}
		if err != nil {
			fmt.Fprintf(log, "pmtu echo: %d bytes to %s: %s\n", n, from, oneLine(err))
		} else {
			fmt.Fprintf(log, "pmtu echo: %d bytes to %s\n", n, from)
		}
	}
}
