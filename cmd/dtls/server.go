package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
	"github.com/pathdtls/pathdtls/transport"
)

const serverUsage = `Usage: dtls server [flags] [HOST]:PORT

Accepts DTLS associations on one UDP socket (IPv4 and IPv6 when HOST is empty
or "::") and echoes each datagram back, or prints it as a line on standard
output with -echo=false. It reports on standard error:
	LISTEN <address>
	ACCEPT <peer> <version> <suite> [resumed]
	                                    after each handshake; "resumed"
	                                    when it resumed a session
	ALPN <peer> <protocol>, SRTP <peer> <profile>,
	KEYMAT <peer> <label> <length> <hex>
	                                    after it, with -alpn, -use_srtp and
	                                    -keymatexport
	RENEGOTIATE <peer> <version> <suite> | <reason>
	                                    after each renegotiation that
	                                    -renegotiate asks for, or why it
	                                    did not happen (DTLS 1.2 and 1.0)
	KEYUPDATE <peer> sent, update requested | <reason>
	                                    after each DTLS 1.3 KeyUpdate that
	                                    -keyupdate sends, or why it
	                                    cannot
	FAIL <peer> <reason>                for each failed handshake
	CLOSE <peer> [<reason>]             when an association ends; no reason
	                                    after the peer's close_notify, and
	                                    "server shutting down" for those
	                                    the server ends as it exits
It runs until interrupted, or until -naccept associations have ended (an
association ends with the peer's close_notify, an error, a failed handshake,
or -idle seconds without a datagram from the peer).

DTLS 1.3 and 1.2 are accepted by default, 1.3 preferred; -dtls1_3, -dtls1_2
and -dtls1 accept one version only.

Flags:
`

// runServer runs "dtls server".
func runServer(args []string, e *env) int {
	fs := flag.NewFlagSet("dtls server", flag.ContinueOnError)
	var o options
	o.register(fs, roleServer)
	echo := fs.Bool("echo", true, "echo each datagram back; false prints it on standard output")
	naccept := fs.Int("naccept", 0, "exit after `N` associations have ended; 0 means never")
	idle := fs.Duration("idle", transport.DefaultIdleTimeout, "end an association after this long without a datagram from the peer; 0 means never")
	if code, ok := parseFlags(fs, args, serverUsage, e); !ok {
		return code
	}
	if fs.NArg() != 1 {
		e.stderr.printf("dtls server: want one [HOST]:PORT argument\n")
		return 2
	}
	if err := checkServerFlags(*naccept, *idle, fs.Arg(0)); err != nil {
		e.stderr.printf("dtls server: %s\n", err)
		return 2
	}
	config, err := o.config(roleServer, traceLogger(e.stderr, ""))
	if err != nil {
		e.stderr.printf("dtls server: %s\n", oneLine(err))
		return 2
	}
	s := &server{echo: *echo, e: e, o: &o, naccept: *naccept, renegotiate: o.renegEvery, done: make(chan struct{})}
	// -mtu fixes the size: the cap follows it up, as -mtu promises.
	lc := transport.ListenConfig{MTU: o.mtu, MaxMTU: max(o.mtu, transport.DefaultMaxMTU), IdleTimeout: *idle, HandshakeFailed: s.failed}
	if *idle == 0 {
		lc.IdleTimeout = -1
	}
	l, err := lc.Listen(context.Background(), "udp", fs.Arg(0), config)
	if err != nil {
		e.stderr.printf("dtls server: %s\n", oneLine(err))
		return 1
	}
	s.l = l
	e.stderr.printf("LISTEN %s\n", l.Addr())
	s.wg.Go(s.acceptLoop)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	s.shutdown.Store(true)
	l.Close() // ends the associations still running
	s.wg.Wait()
	return 0
}

// checkServerFlags reports a usage error in the server's own flags and
// its address.
func checkServerFlags(naccept int, idle time.Duration, address string) error {
	switch {
	case naccept < 0:
		return fmt.Errorf("-naccept %d is negative: give the number of associations to serve, or 0 for no limit", naccept)
	case idle < 0:
		return fmt.Errorf("-idle %v is negative: give how long a peer may stay silent, or 0 for no limit", idle)
	}
	return checkAddress(address, roleServer)
}

// server serves the associations of one listener, one goroutine each.
type server struct {
	l       *transport.Listener
	echo    bool
	e       *env
	o       *options
	naccept int // close done after this many associations; 0: never
	// renegotiate is how often to ask each client to renegotiate; 0:
	// never.
	renegotiate time.Duration
	wg          sync.WaitGroup
	// shutdown is set before the server closes its listener, which ends
	// the associations still running.
	shutdown atomic.Bool

	mu    sync.Mutex
	ended int
	done  chan struct{}
}

// acceptLoop starts a goroutine for each association until the listener
// closes. It runs in s.wg, so the goroutines it adds are waited for too.
func (s *server) acceptLoop() {
	for {
		c, err := s.l.AcceptContext(context.Background())
		if err != nil {
			return
		}
		s.wg.Go(func() {
			s.serve(c)
			s.end()
		})
	}
}

// failed reports a handshake that failed, which ends its association.
func (s *server) failed(peer net.Addr, err error) {
	s.e.stderr.printf("FAIL %s %s\n", peer, oneLine(err))
	s.end()
}

// end counts an association that has ended.
func (s *server) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended++
	if s.ended == s.naccept && s.naccept > 0 {
		close(s.done)
	}
}

// serve runs one association, whose handshake has completed: echoing or
// printing each datagram until the peer closes, an error, or the listener
// closes it for idleness.
func (s *server) serve(c *transport.Conn) {
	defer c.Close()
	peer := c.RemoteAddr()
	st := c.ConnectionState()
	resumed := ""
	if st.DidResume {
		resumed = " resumed"
	}
	s.e.stderr.printf("ACCEPT %s %s %s%s\n", peer, cliconfig.VersionName(st.Version), dtls.CipherSuiteName(st.CipherSuite), resumed)
	s.o.reportSession(s.e, peer.String()+" ", st)
	switch {
	case s.renegotiate > 0 && st.Version == dtls.VersionDTLS13:
		s.e.stderr.printf("RENEGOTIATE %s not asked: DTLS 1.3 has no renegotiation (-keyupdate gives new keys)\n", peer)
	case s.renegotiate > 0:
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.wg.Go(func() { s.renegotiateEvery(ctx, c) })
	}
	ku := startKeyUpdates(c, time.Duration(s.o.keyUpdate), s.e)
	defer ku.halt() // before the Close above
	buf := make([]byte, 1<<16)
	for {
		n, err := c.Read(buf)
		if err != nil {
			s.closed(peer, err)
			return
		}
		if !s.echo {
			s.e.stdout.line(buf[:n])
			continue
		}
		if _, err := c.Write(buf[:n]); err != nil {
			s.closed(peer, err)
			return
		}
	}
}

// renegotiateEvery asks c's client to renegotiate every s.renegotiate,
// until ctx is done, and reports each outcome. A refusal is reported
// and the association goes on; a failure ends it, and serve reports that.
func (s *server) renegotiateEvery(ctx context.Context, c *transport.Conn) {
	t := time.NewTicker(s.renegotiate)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := c.Rehandshake(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.e.stderr.printf("RENEGOTIATE %s %s\n", c.RemoteAddr(), oneLine(err))
			if !errors.Is(err, dtls.ErrRenegotiationRefused) {
				return
			}
		default:
			st := c.ConnectionState()
			s.e.stderr.printf("RENEGOTIATE %s %s %s\n", c.RemoteAddr(), cliconfig.VersionName(st.Version), dtls.CipherSuiteName(st.CipherSuite))
		}
	}
}

// closed reports the end of the association with peer, which err ended:
// the peer's close_notify, the server's shutdown, or a failure.
func (s *server) closed(peer net.Addr, err error) {
	switch {
	case errors.Is(err, io.EOF):
		s.e.stderr.printf("CLOSE %s\n", peer)
	case errors.Is(err, net.ErrClosed) && s.shutdown.Load():
		s.e.stderr.printf("CLOSE %s %s\n", peer, shutdownReason)
	default:
		s.e.stderr.printf("CLOSE %s %s\n", peer, oneLine(err))
	}
}

// shutdownReason is the reason of the CLOSE lines of the associations that
// the server ended because it was exiting.
const shutdownReason = "server shutting down"
