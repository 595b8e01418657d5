package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
	"github.com/pathdtls/pathdtls/internal/testpki"
	"github.com/pathdtls/pathdtls/pmtu"
	"github.com/pathdtls/pathdtls/transport"
)

const demoUsage = `Usage: dtls demo [-v]

Runs a DTLS server and client in one process over the loopback interface with
a freshly generated ECDSA certificate, with DTLS 1.3, then 1.2, then 1.0, and
prints what happened.

Flags:
`

// runDemo runs "dtls demo".
func runDemo(args []string, e *env) int {
	fs := flag.NewFlagSet("dtls demo", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "trace both handshakes on standard error")
	if code, ok := parseFlags(fs, args, demoUsage, e); !ok {
		return code
	}
	cert, roots, err := demoCertificate()
	if err != nil {
		e.stderr.printf("dtls demo: %s\n", oneLine(err))
		return 1
	}
	e.stdout.printf("pathdtls demo: a server and a client on the loopback interface, ECDSA P-256 certificate for localhost\n")
	for _, v := range []uint16{dtls.VersionDTLS13, dtls.VersionDTLS12, dtls.VersionDTLS10} {
		server := &dtls.Config{Certificates: []tls.Certificate{cert}, MinVersion: v, MaxVersion: v}
		client := &dtls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: v, MaxVersion: v}
		if *verbose {
			server.Logger = traceLogger(e.stderr, "server")
			client.Logger = traceLogger(e.stderr, "client")
		}
		if err := demoOnce(server, client, e.stdout); err != nil {
			e.stderr.printf("dtls demo: %s: %s\n", cliconfig.VersionName(v), oneLine(err))
			return 1
		}
	}
	return 0
}

// demoOnce runs one server and one client and reports on out.
func demoOnce(server, client *dtls.Config, out *lines) error {
	l, err := transport.Listen("udp", "127.0.0.1:0", server)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Close()
	wg.Go(func() {
		if c, err := l.AcceptContext(context.Background()); err == nil {
			echoAll(c)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	c, err := transport.Dial(ctx, "udp", l.Addr().String(), client)
	if err != nil {
		return err
	}
	defer c.Close()
	st := c.ConnectionState()
	out.printf("\n%s with %s: %s, handshake in %v, %d retransmissions\n", cliconfig.VersionName(st.Version),
		l.Addr(), dtls.CipherSuiteName(st.CipherSuite), time.Since(start).Round(time.Millisecond), c.Stats().Retransmissions)
	demoPath(c, "after the handshake", out)
	for i := 1; i <= 3; i++ {
		if err := demoEcho(c, fmt.Sprintf("datagram %d over %s", i, cliconfig.VersionName(st.Version)), out); err != nil {
			return err
		}
	}
	awaitSearch(c, searchBound)
	demoPath(c, "after the path-MTU search", out)
	_, err = c.Write(make([]byte, c.MaxPayload()+1))
	out.printf("  a write of MaxPayload+1 bytes is refused, nothing sent: %v\n", err)
	return nil
}

// searchBound bounds the demo's wait for the path-MTU search. On the
// loopback interface the search takes one probe, which the transport sends
// up to a quarter of a second after the handshake.
const searchBound = 5 * time.Second

// searchPoll is how often awaitSearch looks at the search's state: the
// transport announces changes of the path MTU, but a search may complete
// without one, when the first size probed is the path's.
const searchPoll = 10 * time.Millisecond

// awaitSearch waits until c's path-MTU search has completed or stopped, or
// bound has passed.
func awaitSearch(c *transport.Conn, bound time.Duration) {
	timeout := time.NewTimer(bound)
	defer timeout.Stop()
	tick := time.NewTicker(searchPoll)
	defer tick.Stop()
	for {
		changed := c.PathMTUChanged()
		if st := c.PathStats().Search; st == pmtu.SearchComplete || !c.Probing() {
			return
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-timeout.C:
			return
		}
	}
}

// demoPath prints c's path MTU, the state of its search, and the largest
// write that fits.
func demoPath(c *transport.Conn, when string, out *lines) {
	st := c.PathStats()
	out.printf("  %s: path MTU %d (search %v, %d probes), largest write (MaxPayload) %d bytes\n",
		when, c.PathMTU(), st.Search, st.ProbesSent, c.MaxPayload())
}

// demoEcho sends msg on c and prints it with its echo.
func demoEcho(c *transport.Conn, msg string, out *lines) error {
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, 1<<16)
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	out.printf("  sent %q, echoed %q\n", msg, buf[:n])
	return nil
}

// echoAll echoes datagrams on c until it ends.
func echoAll(c *transport.Conn) {
	defer c.Close()
	buf := make([]byte, 1<<16)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// demoCertificate returns an ECDSA P-256 certificate for localhost,
// 127.0.0.1 and ::1 from a new CA, and a pool that trusts the CA.
func demoCertificate() (tls.Certificate, *x509.CertPool, error) {
	ca, err := testpki.NewCA("pathdtls demo CA")
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := ca.IssueECDSA()
	return cert, ca.Pool(), err
}
