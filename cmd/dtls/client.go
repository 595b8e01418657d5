package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
	"github.com/pathdtls/pathdtls/transport"
)

const clientUsage = `Usage: dtls client [flags] HOST:PORT

Completes a DTLS handshake with HOST:PORT, sends each non-empty line of
standard input (without its newline) as one datagram, and prints each
datagram received as one line on standard output. At the end of input it
waits -wait for replies, sends close_notify and exits 0. A failed handshake
exits 1 with one line on standard error. With -reconnect it first
completes a handshake, closes, and connects again resuming that session
(as openssl s_client -reconnect), and says on standard error whether the
server resumed it: RECONNECT <server> resumed, or new. With -alpn,
-use_srtp and -keymatexport it says what was negotiated on standard
error: ALPN <protocol>, SRTP <profile>, KEYMAT <label> <length> <hex>,
the last followed by the block openssl s_client prints for -keymatexport.
With -keyupdate it sends a DTLS 1.3 KeyUpdate every N seconds and says
KEYUPDATE <server> after each, or once why it cannot.

DTLS 1.3 and 1.2 are offered by default, 1.3 preferred; -dtls1_3,
-dtls1_2 and -dtls1 offer one version only.

Flags:
`

// runClient runs "dtls client".
func runClient(args []string, e *env) int {
	fs := flag.NewFlagSet("dtls client", flag.ContinueOnError)
	var o options
	o.register(fs, roleClient)
	wait := fs.Duration("wait", time.Second, "how long to wait for replies after the end of input")
	if code, ok := parseFlags(fs, args, clientUsage, e); !ok {
		return code
	}
	if fs.NArg() != 1 {
		e.stderr.printf("dtls client: want one HOST:PORT argument\n")
		return 2
	}
	address := fs.Arg(0)
	if err := checkAddress(address, roleClient); err != nil {
		e.stderr.printf("dtls client: %s\n", err)
		return 2
	}
	config, err := o.config(roleClient, traceLogger(e.stderr, ""))
	if err != nil {
		e.stderr.printf("dtls client: %s\n", oneLine(err))
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	// -mtu fixes the size: the cap follows it up, as -mtu promises.
	d := transport.Dialer{MTU: o.mtu, MaxMTU: max(o.mtu, transport.DefaultMaxMTU)}
	if o.reconnect {
		cache := &notifyingCache{ClientSessionCache: dtls.NewLRUClientSessionCache(1), put: make(chan struct{}, 1)}
		config.ClientSessionCache = cache
		first, ok := dial(ctx, &d, address, config, o.verbose, e)
		if !ok {
			return 1
		}
		if first.ConnectionState().Version == dtls.VersionDTLS13 {
			// The ticket of DTLS 1.3 comes after the handshake (RFC 8446
			// §4.6.1): wait for it a moment.
			select {
			case <-cache.put:
			case <-time.After(ticketWait):
			}
		}
		first.Close()
	}
	conn, ok := dial(ctx, &d, address, config, o.verbose, e)
	if !ok {
		return 1
	}
	defer conn.Close()
	o.reportSession(e, "", conn.ConnectionState())
	ku := startKeyUpdates(conn, time.Duration(o.keyUpdate), e)
	defer ku.halt() // before the Close above
	if o.reconnect {
		how := "new"
		if conn.ConnectionState().DidResume {
			how = "resumed"
		}
		e.stderr.printf("RECONNECT %s %s\n", conn.RemoteAddr(), how)
	}
	return exchangeLines(conn, *wait, e)
}

// dial runs a handshake with address, and says so on standard error with
// -v, or why it failed.
func dial(ctx context.Context, d *transport.Dialer, address string, config *dtls.Config, verbose bool, e *env) (*transport.Conn, bool) {
	conn, err := d.Dial(ctx, "udp", address, config)
	if err != nil {
		e.stderr.printf("dtls client: handshake with %s failed: %s\n", address, oneLine(err))
		return nil, false
	}
	if verbose {
		st := conn.ConnectionState()
		resumed := ""
		if st.DidResume {
			resumed = " resumed"
		}
		e.stderr.printf("CONNECTED %s %s %s maxpayload %d%s\n", conn.RemoteAddr(),
			cliconfig.VersionName(st.Version), dtls.CipherSuiteName(st.CipherSuite), conn.MaxPayload(), resumed)
	}
	return conn, true
}

// exchangeLines sends standard input line by line and prints what arrives,
// until the input ends (and -wait has passed) or the server closes.
func exchangeLines(conn *transport.Conn, wait time.Duration, e *env) int {
	received := make(chan error, 1)
	go func() { received <- printDatagrams(conn, e.stdout) }()
	sent := make(chan int, 1)
	go func() { sent <- sendLines(conn, e.stdin, e) }()
	select {
	case err := <-received:
		return readStatus(err, e)
	case code := <-sent:
		if code != 0 {
			return code
		}
	}
	select {
	case err := <-received:
		return readStatus(err, e)
	case <-time.After(wait):
		return 0
	}
}

// readStatus turns the error that ended reading into an exit status: the
// server's close_notify is a clean end.
func readStatus(err error, e *env) int {
	if errors.Is(err, io.EOF) {
		return 0
	}
	e.stderr.printf("dtls client: %s\n", oneLine(err))
	return 1
}

// printDatagrams prints each datagram read from conn as a line.
func printDatagrams(conn *transport.Conn, out *lines) error {
	buf := make([]byte, 1<<16)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		out.line(buf[:n])
	}
}

// sendLines writes each line of in to conn as one datagram. A line that
// does not fit in a datagram is reported and skipped, and so is an empty
// line.
func sendLines(conn *transport.Conn, in io.Reader, e *env) int {
	r := bufio.NewReader(in)
	code := 0
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		// An empty line is not sent: a receiver does not deliver an empty
		// record as a datagram, and may count it as useless.
		if len(line) > 0 {
			if _, werr := conn.Write(line); werr != nil {
				var tooLarge *dtls.PayloadTooLargeError
				if !errors.As(werr, &tooLarge) {
					e.stderr.printf("dtls client: %s\n", oneLine(werr))
					return 1
				}
				e.stderr.printf("dtls client: line not sent: %s\n", oneLine(werr))
				code = 1
			}
		}
		if err == io.EOF {
			return code
		}
		if err != nil {
			e.stderr.printf("dtls client: reading standard input: %s\n", oneLine(err))
			return 1
		}
	}
}

// parseFlags parses args into fs with usage as the help text. It returns
// ok false and the exit status when the command should stop: 0 after -h,
// 2 after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string, usage string, e *env) (code int, ok bool) {
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		e.stderr.print(usage)
		fs.PrintDefaults()
	}
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	case err != nil:
		return 2, false
	}
	return 0, true
}

// ticketWait is how long -reconnect waits for a DTLS 1.3 server's ticket
// before it reconnects without one.
const ticketWait = time.Second

// notifyingCache is a ClientSessionCache that says when a session is put
// in it.
type notifyingCache struct {
	dtls.ClientSessionCache
	put chan struct{}
}

func (c *notifyingCache) Put(key string, st *dtls.ClientSessionState) {
	c.ClientSessionCache.Put(key, st)
	if st != nil {
		select {
		case c.put <- struct{}{}:
		default:
		}
	}
}
