package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
	"github.com/pathdtls/pathdtls/pmtu"
	"github.com/pathdtls/pathdtls/transport"
)

// modeDTLS is the result's mode for probe -dtls.
const modeDTLS = "dtls"

// searchPoll is how often probe -dtls looks at the state of the
// transport's search. The transport announces changes of the path MTU but
// not of the search's state, and the search may complete without a change
// of size, when its last probe is lost.
const searchPoll = 10 * time.Millisecond

// errNoHeartbeat says that the server cannot answer probes: in DTLS 1.2
// and 1.0 the probes are heartbeat requests, which a server may refuse
// (RFC 6520 §2). It never applies to DTLS 1.3, whose probes are KeyUpdates
// that every server acknowledges (RFC 9147 §8).
var errNoHeartbeat = errors.New("in-band probing is impossible with this server over DTLS 1.2 or 1.0: it does not accept heartbeat requests (RFC 6520)")

// How probes were carried, as the result's ProbeMethod says.
const (
	// probeHeartbeat is a HeartbeatRequest padded to the size under test,
	// which the server answers (DTLS 1.2 and 1.0; RFC 6520, RFC 8899
	// §6.2.1).
	probeHeartbeat = "heartbeat"
	// probeKeyUpdate is a record carrying a KeyUpdate, padded to the size
	// under test (RFC 8446 §5.4), which the server's ACK names (DTLS 1.3;
	// RFC 9147 §7 and §8).
	probeKeyUpdate = "keyupdate"
)

// probeDTLS finds the path MTU to a DTLS server at host and port: it runs
// a handshake, and then waits while the transport searches the path (RFC
// 8899 §6.2) with padded KeyUpdates in DTLS 1.3 or padded heartbeat
// requests in DTLS 1.2 and 1.0. Nothing reads the association: the
// transport's engine processes the server's ACKs and heartbeat responses
// as they arrive, whether or not the application reads. It returns an
// error if the search could not start, and otherwise a result, which says
// whether it succeeded.
func probeDTLS(ctx context.Context, o *probeOptions, host, port string, e *env) (*result, error) {
	remote, err := resolve(ctx, o.network(), host, port, defaultDTLSPort)
	if err != nil {
		return nil, err
	}
	if err := o.checkFamily(remote.Addr()); err != nil {
		return nil, err
	}
	start := time.Now()
	ctx, cancel := context.WithDeadline(ctx, start.Add(o.deadline))
	defer cancel()
	var log *slog.Logger
	if o.verbose {
		tr := &tracer{w: e.stderr, start: start}
		log = slog.New(tr)
		defer tr.stop()
	}
	config, err := o.tls.config(host, log)
	if err != nil {
		return nil, err
	}
	network := "udp4"
	if remote.Addr().Is6() {
		network = "udp6"
	}
	d := &transport.Dialer{MaxMTU: o.max, ProbeTimeout: o.timeout}
	conn, err := dialDTLS(ctx, d, network, remote, config)
	var closed *closedPortError
	if errors.As(err, &closed) {
		return nil, fmt.Errorf("DTLS handshake failed: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("DTLS handshake failed: %w%s", contextError(ctx, err, o), versionHint(err, &o.tls))
	}
	if conn.Probing() {
		err = awaitSearch(ctx, conn)
	} else {
		err = notProbing(conn, &o.tls)
	}
	res := dtlsResult(conn, remote, time.Since(start), contextError(ctx, err, o))
	conn.Close() // sends close_notify
	return res, nil
}

// notProbing says why conn, whose handshake completed, does not probe.
// The transport starts probing at the end of the handshake if the engine
// allows it (dtls.Conn.ProbeAllowed): always in DTLS 1.3, and in DTLS 1.2
// and 1.0 only if the server accepts heartbeat requests. A search that
// started shows in PathStats (probed); one that did not, in DTLS 1.2 or
// 1.0, means that the server refused heartbeats.
func notProbing(conn *transport.Conn, o *dtlsOptions) error {
	s := conn.PathStats()
	switch {
	case probed(s):
		return errors.New("the association ended before the search completed")
	case conn.ConnectionState().Version == dtls.VersionDTLS13:
		return fmt.Errorf("the transport did not probe the DTLS 1.3 association; the path MTU after the handshake is %d (%s)", conn.PathMTU(), handshakeSource(s))
	}
	hint := "the server does not speak DTLS 1.3, whose probes (KeyUpdates) need no heartbeats"
	if flag := o.without13(); flag != "" {
		hint = "drop " + flag + " to offer DTLS 1.3, whose probes (KeyUpdates) need no heartbeats"
	}
	return fmt.Errorf("%w; %s; the path MTU after the handshake is %d (%s)", errNoHeartbeat, hint, conn.PathMTU(), handshakeSource(s))
}

// probed reports whether the transport started probing, by the path's
// stats s: the search left its initial state, pmtu.Disabled, or probes
// were sent (a search that lost every probe, even the smallest, is
// pmtu.Disabled again).
func probed(s transport.PathStats) bool {
	return s.ProbesSent > 0 || s.Search != pmtu.Disabled
}

// versionHint returns a hint to add to the handshake's error err: a server
// that refused the only version offered, by a version flag that ruled DTLS
// 1.3 out, may speak DTLS 1.3 only.
func versionHint(err error, o *dtlsOptions) string {
	flag := o.without13()
	if flag == "" || !errors.Is(err, dtls.AlertProtocolVersion) {
		return ""
	}
	return "; the server refused the version " + flag + " asks for: drop " + flag + " to offer DTLS 1.3 too"
}

// firstAttempt bounds the first handshake with the server. The transport
// does not end a handshake on an ICMP port unreachable, which anyone can
// forge and which a server that starts a moment later makes wrong; it
// names one only when the handshake fails. So that a port where nothing
// listens does not cost the whole -deadline, the first attempt ends after
// firstAttempt, long enough for a handshake that loses a flight or two
// (RFC 6347's timer starts at 1s), and a port unreachable heard by then
// ends the search.
const firstAttempt = 2 * time.Second

// closedPortError says that nothing listens at the server's address.
type closedPortError struct{ *transport.UnreachableError }

func (e *closedPortError) Unwrap() error { return e.UnreachableError }

func (e *closedPortError) Error() string {
	ev := e.Event
	return fmt.Sprintf("nothing listens on UDP port %d of %s: %v answered the ClientHello with an ICMP port unreachable", ev.Remote.Port(), ev.Remote.Addr(), ev.Reporter)
}

// dialDTLS runs the handshake with the server at remote. If a first
// attempt of firstAttempt fails after a port unreachable, it returns a
// *closedPortError; if it runs out of time without one, a new handshake
// gets the rest of ctx's time.
func dialDTLS(ctx context.Context, d *transport.Dialer, network string, remote netip.AddrPort, config *dtls.Config) (*transport.Conn, error) {
	first, cancel := context.WithTimeout(ctx, firstAttempt)
	conn, err := d.Dial(first, network, remote.String(), config)
	cancel()
	var u *transport.UnreachableError
	var timeout *dtls.HandshakeTimeoutError
	switch {
	case err == nil:
		return conn, nil
	case errors.As(err, &u) && u.Event.Kind == icmp.KindPortUnreachable:
		return nil, &closedPortError{u}
	case ctx.Err() != nil || !errors.As(err, &timeout):
		return nil, err
	}
	if config.Logger != nil {
		config.Logger.Info("handshake restarted", slog.String("reason", "no handshake within "+firstAttempt.String()+
			", and no ICMP port unreachable: a new handshake"))
	}
	return d.Dial(ctx, network, remote.String(), config)
}

// awaitSearch waits until conn's search is complete, ctx is done or conn
// stops probing. The server's close_notify or fatal alert would show only
// to a Read, which nothing calls since the engine answers probes on its
// own: the search then runs to the deadline.
func awaitSearch(ctx context.Context, conn *transport.Conn) error {
	tick := time.NewTicker(searchPoll)
	defer tick.Stop()
	for {
		changed := conn.PathMTUChanged()
		switch conn.PathStats().Search {
		case pmtu.SearchComplete:
			return nil
		case pmtu.Disabled:
			return errors.New("connectivity lost: no probe was answered, not even of the smallest size")
		}
		if !conn.Probing() {
			return errors.New("the association ended before the search completed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-tick.C:
		}
	}
}

// contextError rewrites an error that ctx's end caused into the reason
// for people. The handshake may time out on a socket deadline taken from
// ctx a moment before ctx itself reports that it expired. An ICMP port or
// host unreachable seen meanwhile, which the transport does not take as
// the end of a handshake since anyone can forge one, is kept: it is the
// likely reason.
func contextError(ctx context.Context, err error, o *probeOptions) error {
	deadline, ok := ctx.Deadline()
	var reason error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		reason = errors.New("interrupted")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded),
		ok && !time.Now().Before(deadline):
		reason = fmt.Errorf("no result within -deadline %v", o.deadline)
	default:
		return err
	}
	var u *transport.UnreachableError
	if errors.As(err, &u) {
		return fmt.Errorf("%w; %w", reason, u)
	}
	return reason
}

// handshakeSource says where the path MTU of a Conn that does not probe
// came from.
func handshakeSource(s transport.PathStats) string {
	switch {
	case s.ICMPAccepted > 0:
		return fmt.Sprintf("lowered by %d ICMP too-big %s", s.ICMPAccepted, plural(int(s.ICMPAccepted), "message"))
	case s.LocalTooLong > 0:
		return "lowered by the local stack"
	case s.LostFlights > 0:
		return fmt.Sprintf("backed off after %d lost %s", s.LostFlights, plural(int(s.LostFlights), "flight"))
	}
	return "the route's MTU; no ICMP too-big seen"
}

// dtlsResult summarises the search by conn, which has taken d so far, on
// the path to remote; err is why it ended without a path MTU, or nil.
func dtlsResult(conn *transport.Conn, remote netip.AddrPort, d time.Duration, err error) *result {
	s := conn.PathStats()
	st := conn.ConnectionState()
	r := &result{
		Address:      remote.String(),
		Mode:         modeDTLS,
		ICMPSource:   sourceNone,
		ProbeCount:   int(s.ProbesSent),
		ProbesAcked:  int(s.ProbesAcked),
		ProbesLost:   int(s.ProbesLost),
		ICMPSeen:     s.ICMPAccepted > 0,
		ICMPRejected: s.ICMPRejected,
		Version:      cliconfig.VersionName(st.Version),
		CipherSuite:  dtls.CipherSuiteName(st.CipherSuite),
		Probes:       []probeJSON{},
		duration:     d,
	}
	r.DurationMS = ms(r.duration)
	if conn.Capabilities().RecvErr {
		r.ICMPSource = sourceErrQueue
	}
	if probed(s) {
		r.ProbeMethod = probeHeartbeat
		if st.Version == dtls.VersionDTLS13 {
			r.ProbeMethod = probeKeyUpdate
		}
	}
	if err != nil {
		r.Error = oneLine(err)
		return r
	}
	r.PathMTU = conn.PathMTU()
	r.MaxUDPPayload = pmtu.FamilyOf(remote.Addr()).Payload(pmtu.MTU(r.PathMTU))
	r.MaxDTLSPayload = conn.MaxPayload()
	return r
}

// tracer is the slog.Handler of -v: it writes the events of the handshake
// and of the transport on standard error, one a line, each with the time
// since the start, its message and its attributes as key=value. The
// transport calls it from several goroutines, and may call it until the
// association is closed.
type tracer struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	stopped bool
}

// Enabled reports true: -v shows every event.
func (t *tracer) Enabled(context.Context, slog.Level) bool { return true }

// Handle writes r as one line.
func (t *tracer) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: ", roundDuration(time.Since(t.start)))
	cliconfig.AppendEvent(&b, r, nil)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		fmt.Fprintln(t.w, b.String())
	}
	return nil
}

// WithAttrs returns t, without attrs: nothing here adds attributes to the
// Logger.
func (t *tracer) WithAttrs([]slog.Attr) slog.Handler { return t }

// WithGroup returns t: the engine logs no groups.
func (t *tracer) WithGroup(string) slog.Handler { return t }

// stop drops the lines that come after it.
func (t *tracer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
}
