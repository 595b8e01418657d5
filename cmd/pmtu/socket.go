package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
)

// Where ICMP errors come from: the values of -icmp, which are the names of
// the sources of package sock.
const (
	sourceAuto     = "auto"     // errqueue where there is one, else raw, else none
	sourceErrQueue = "errqueue" // the socket's own error queue (Linux)
	sourceRaw      = "raw"      // a raw ICMP socket (needs privilege)
	sourceNone     = "none"     // ICMP is ignored
)

// icmpSources maps the values of -icmp to the sources of package sock.
var icmpSources = map[string]sock.ICMPSource{
	sourceAuto:     sock.ICMPAuto,
	sourceErrQueue: sock.ICMPErrQueue,
	sourceRaw:      sock.ICMPRaw,
	sourceNone:     sock.ICMPNone,
}

// errNoDF means that this system cannot set the Don't Fragment bit, without
// which a probe is fragmented instead of lost and tells nothing.
var errNoDF = fmt.Errorf("cannot set the Don't Fragment bit on UDP sockets on %s/%s, so probes would be fragmented: path MTU discovery is not possible here", runtime.GOOS, runtime.GOARCH)

// link is what the search sends probes through and hears answers from.
type link interface {
	// send sends probe seq with a UDP payload of n bytes. It returns a
	// *sock.TooLongError if the local host refuses the size.
	send(seq uint32, n int) error
	// answers delivers what comes back about the probes.
	answers() <-chan answer
}

// udpLink is the probe socket: a UDP socket connected to the host with the
// Don't Fragment bit set (in the mode that keeps the kernel from clamping
// sends to a path MTU it learned from ICMP), run by a sock.Socket, which
// reads the pending errors and the error queue, tells the local host's
// refusals apart and runs the raw ICMP listener, with a read loop for the
// echo replies. Every ICMP error is validated before it becomes an answer
// (RFC 8899 section 4.6.2): the quoted addresses and ports must be the
// socket's, a reported MTU must be below the size of the probe quoted, and
// the quoted probe must carry the run's random token and the sequence
// number of a probe sent recently.
type udpLink struct {
	sock          *sock.Socket
	local, remote netip.AddrPort
	source        string // errqueue, raw or none
	token         [tokenLen]byte
	validator     icmp.Validator
	sent          sock.SentLog // the UDP payload length of each probe, by sequence number
	out           chan answer
	done          chan struct{} // closed by close: deliveries stop
	readDone      chan struct{} // closed when the read loop returns
}

var (
	_ link         = (*udpLink)(nil)
	_ sock.Handler = (*udpLink)(nil)
)

// openLink opens a probe socket to remote that reads ICMP errors from
// source (one of the source constants) and starts reading.
func openLink(ctx context.Context, remote netip.AddrPort, source string) (*udpLink, error) {
	network := "udp4"
	if remote.Addr().Is6() {
		network = "udp6"
	}
	c, err := sock.Dial(ctx, nil, network, remote.String(), platform.DFProbe)
	if err != nil {
		return nil, err
	}
	l, err := newLink(c, remote, source)
	if err != nil {
		c.Close()
		return nil, err
	}
	return l, nil
}

// newLink makes the probe socket of c, connected to remote, which reads
// ICMP errors from source, and starts reading. It fails, leaving c open,
// if c cannot set the Don't Fragment bit or source is not available.
func newLink(c sock.Conn, remote netip.AddrPort, source string) (*udpLink, error) {
	if !c.Capabilities().DF {
		return nil, errNoDF
	}
	l := &udpLink{
		local:     c.LocalAddr(),
		remote:    remote,
		validator: icmp.Validator{MinQuote: probeHeaderLen},
		out:       make(chan answer, 64),
		done:      make(chan struct{}),
		readDone:  make(chan struct{}),
	}
	if _, err := rand.Read(l.token[:]); err != nil {
		return nil, err
	}
	s, err := sock.NewWithICMP(c, l, icmpSources[source])
	switch {
	case errors.Is(err, sock.ErrNoErrQueue):
		return nil, errors.New("-icmp errqueue: this system has no socket error queue")
	case err != nil:
		return nil, fmt.Errorf("-icmp %s: %w", source, err)
	}
	l.sock, l.source = s, s.ICMPSource().String()
	go l.readLoop()
	return l, nil
}

// answers implements link.
func (l *udpLink) answers() <-chan answer { return l.out }

// close closes the socket and the raw ICMP socket and waits for their
// readers to return.
func (l *udpLink) close() {
	close(l.done)
	l.sock.Close()
	<-l.readDone
}

// rejected returns the number of ICMP errors about the probes that failed
// validation.
func (l *udpLink) rejected() uint64 { return l.validator.Stats().Rejected() }

// routeMTU returns the MTU of the route to the remote address.
func (l *udpLink) routeMTU() (int, error) { return l.sock.Conn().RouteMTU(l.remote.Addr()) }

// send implements link. The socket gets past the pending errors that ICMP
// messages about earlier probes leave, and reports a size the local host
// refuses as a *sock.TooLongError.
func (l *udpLink) send(seq uint32, n int) error {
	p := probe{token: l.token, seq: seq, padding: n - probeHeaderLen}
	b := p.marshal()
	// Recorded first: the answer may come before Send returns.
	l.sent.Add(uint64(seq), len(b))
	return l.sock.Send(b, netip.AddrPort{})
}

// readLoop reads echo replies until the socket is closed. The socket
// reads the error queue, handing its ICMP errors to ICMP, when a read
// meets a pending error.
func (l *udpLink) readLoop() {
	defer close(l.readDone)
	buf := make([]byte, 1<<16)
	for {
		n, _, err := l.sock.ReadFrom(buf)
		at := time.Now()
		switch {
		case err == nil:
			l.handleDatagram(buf[:n], at)
		case errors.Is(err, net.ErrClosed):
			return
		default:
			l.deliver(answer{kind: answerFailed, at: at, err: err})
			return
		}
	}
}

// ICMP implements sock.Handler.
func (l *udpLink) ICMP(ev icmp.Event) { l.handleICMP(ev, time.Now()) }

// LocalLimit implements sock.Handler: the send that was refused reports
// the limit.
func (l *udpLink) LocalLimit(netip.AddrPort, int) {}

// handleDatagram delivers a datagram from the host as the answer to the
// probe it echoes, if it echoes one.
func (l *udpLink) handleDatagram(b []byte, at time.Time) {
	var p probe
	if !p.unmarshal(b) || p.token != l.token || !l.wasSent(p.seq) {
		return
	}
	l.deliver(answer{kind: answerReached, seq: p.seq, at: at, echo: true})
}

// handleICMP validates an ICMP error about a datagram the socket sent and
// offers it as an answer.
func (l *udpLink) handleICMP(ev icmp.Event, at time.Time) {
	var p probe
	var seq uint32
	if p.unmarshal(ev.Quote) && p.token == l.token {
		seq = p.seq
	}
	size, ok := l.sent.Lookup(uint64(seq))
	if !ok {
		size = l.sent.Largest() // the quote does not tell which probe
	}
	ev, err := l.validator.Validate(ev, l.local, l.remote, size, l.match)
	if err != nil {
		return // counted by the validator
	}
	l.offer(answer{kind: classify(ev, l.remote.Addr()), seq: seq, at: at, ev: ev})
}

// match is the icmp.Matcher: it reports whether quote starts a probe of
// this run.
func (l *udpLink) match(quote []byte) bool {
	var p probe
	return p.unmarshal(quote) && p.token == l.token && l.wasSent(p.seq)
}

// wasSent reports whether probe seq is among those sent recently.
func (l *udpLink) wasSent(seq uint32) bool {
	_, ok := l.sent.Lookup(uint64(seq))
	return ok
}

// deliver passes a to the search, unless the link is closing.
func (l *udpLink) deliver(a answer) {
	select {
	case l.out <- a:
	case <-l.done:
	}
}

// offer passes a to the search if there is room. A sock.Handler must not
// block, and the socket calls this one from send too, in the goroutine
// that empties the channel. Only a few answers come between two probes,
// so the channel fills only under a flood of duplicates, whose excess can
// go.
func (l *udpLink) offer(a answer) {
	select {
	case l.out <- a:
	default:
	}
}
