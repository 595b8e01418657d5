package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
)

// Where ICMP errors come from: the values of -icmp.
const (
	sourceAuto     = "auto"     // errqueue where there is one, else raw, else none
	sourceErrQueue = "errqueue" // the socket's own error queue (Linux)
	sourceRaw      = "raw"      // a raw ICMP socket (needs privilege)
	sourceNone     = "none"     // ICMP is ignored
)

// sendAttempts bounds how often a send is tried when it fails with an error
// that an ICMP message left pending on the socket rather than its own.
const sendAttempts = 3

// errNoDF means that this system cannot set the Don't Fragment bit, without
// which a probe is fragmented instead of lost and tells nothing.
var errNoDF = fmt.Errorf("cannot set the Don't Fragment bit on UDP sockets on %s/%s, so probes would be fragmented: path MTU discovery is not possible here", runtime.GOOS, runtime.GOARCH)

// link is what the search sends probes through and hears answers from.
type link interface {
	// send sends probe seq with a UDP payload of n bytes. It returns a
	// *localTooBigError if the local host refuses the size.
	send(seq uint32, n int) error
	// answers delivers what comes back about the probes.
	answers() <-chan answer
	// poll delivers the ICMP errors that wait to be read, if any, before
	// a probe is declared lost.
	poll()
}

// udpLink is the probe socket: a UDP socket connected to the host with the
// Don't Fragment bit set (in the mode that keeps the kernel from clamping
// sends to a path MTU it learned from ICMP), with its read loop and its
// source of ICMP errors. Every ICMP error is validated before it becomes an
// answer (RFC 8899 section 4.6.2): the quoted addresses and ports must be
// the socket's, a reported MTU must be below the size of the probe quoted,
// and the quoted probe must carry the run's random token and the sequence
// number of a probe sent.
type udpLink struct {
	conn          *net.UDPConn
	raw           syscall.RawConn
	local, remote netip.AddrPort
	source        string // errqueue, raw or none
	token         [tokenLen]byte
	listener      *icmp.RawListener // for source raw
	validator     icmp.Validator
	out           chan answer
	done          chan struct{} // closed by close: deliveries stop
	readDone      chan struct{} // closed when the read loop returns
	drainMu       sync.Mutex    // one reader of the error queue at a time

	mu       sync.Mutex
	sizes    map[uint32]int // the UDP payload length of each probe sent
	localMTU int            // the MTU of the last local refusal, if the error queue told it
}

var _ link = (*udpLink)(nil)

// openLink opens a probe socket to remote that reads ICMP errors from
// source (one of the source constants) and starts reading.
func openLink(ctx context.Context, remote netip.AddrPort, source string) (*udpLink, error) {
	l := &udpLink{
		remote:    remote,
		validator: icmp.Validator{MinQuote: probeHeaderLen},
		out:       make(chan answer, 64),
		done:      make(chan struct{}),
		readDone:  make(chan struct{}),
		sizes:     make(map[uint32]int),
	}
	if _, err := rand.Read(l.token[:]); err != nil {
		return nil, err
	}
	network := "udp4"
	if remote.Addr().Is6() {
		network = "udp6"
	}
	var caps platform.Capabilities
	opts := platform.Options{DF: platform.DFProbe, RecvErr: source == sourceAuto || source == sourceErrQueue}
	d := net.Dialer{Control: platform.Control(opts, &caps)}
	c, err := d.DialContext(ctx, network, remote.String())
	if err != nil {
		return nil, err
	}
	l.conn = c.(*net.UDPConn)
	l.local = l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if l.raw, err = l.conn.SyscallConn(); err == nil {
		err = l.setSource(source, caps)
	}
	if err != nil {
		l.conn.Close()
		return nil, err
	}
	go l.readLoop()
	return l, nil
}

// setSource checks that the socket has the Don't Fragment bit and picks
// the source of ICMP errors that source asks for.
func (l *udpLink) setSource(source string, caps platform.Capabilities) error {
	if !caps.DF {
		return errNoDF
	}
	switch {
	case source == sourceErrQueue && !caps.RecvErr:
		return errors.New("-icmp errqueue: this system has no socket error queue")
	case source == sourceNone, source == sourceErrQueue,
		source == sourceAuto && caps.RecvErr:
		l.source = source
		if source == sourceAuto {
			l.source = sourceErrQueue
		}
		return nil
	}
	rawNetwork := "ip4:icmp"
	if l.remote.Addr().Is6() {
		rawNetwork = "ip6:ipv6-icmp"
	}
	rl, err := icmp.ListenRaw(rawNetwork, func(ev icmp.Event) { l.handleICMP(ev, time.Now()) })
	switch {
	case err == nil:
		l.listener, l.source = rl, sourceRaw
		rl.Watch(l.local)
	case source == sourceAuto:
		l.source = sourceNone // no privilege: probes and echo replies alone
	default:
		return fmt.Errorf("-icmp raw: %w", err)
	}
	return nil
}

// answers implements link.
func (l *udpLink) answers() <-chan answer { return l.out }

// close closes the socket and the raw ICMP socket and waits for their
// readers to return.
func (l *udpLink) close() {
	close(l.done)
	if l.listener != nil {
		_ = l.listener.Close() // an error here changes nothing: the run is over
	}
	l.conn.Close()
	<-l.readDone
}

// rejected returns the number of ICMP errors about the probes that failed
// validation.
func (l *udpLink) rejected() uint64 { return l.validator.Stats().Rejected() }

// send implements link. A send can fail with the pending error that an ICMP
// message about an earlier probe left on the socket: the error queue is
// then read and the send tried again.
func (l *udpLink) send(seq uint32, n int) error {
	p := probe{token: l.token, seq: seq, padding: n - probeHeaderLen}
	b := p.marshal()
	l.mu.Lock()
	l.sizes[seq] = len(b)
	l.mu.Unlock()
	var err error
	for range sendAttempts {
		if _, err = l.conn.Write(b); err == nil {
			return nil
		}
		if !platform.IsMessageTooLong(err) && !platform.IsTransientReadError(err) {
			return err
		}
		l.poll()
	}
	if platform.IsMessageTooLong(err) {
		return &localTooBigError{mtu: l.localLimit()}
	}
	return err
}

// localLimit returns the largest IP size the local host sends to the
// remote address: the MTU the error queue reported with the last refusal,
// else the MTU of the route, or 0 if neither is known.
func (l *udpLink) localLimit() int {
	l.mu.Lock()
	m := l.localMTU
	l.mu.Unlock()
	if m == 0 {
		m, _ = platform.RouteMTU(l.remote.Addr()) // 0 on error
	}
	return m
}

// readLoop reads echo replies until the socket is closed. A read that
// fails with the pending error of an ICMP message makes it read the error
// queue.
func (l *udpLink) readLoop() {
	defer close(l.readDone)
	buf := make([]byte, 1<<16)
	for {
		n, err := l.conn.Read(buf)
		at := time.Now()
		switch {
		case err == nil:
			l.handleDatagram(buf[:n], at)
		case errors.Is(err, net.ErrClosed):
			return
		case platform.IsTransientReadError(err):
			l.poll()
		default:
			l.deliver(answer{kind: answerFailed, at: at, err: err})
			return
		}
	}
}

// poll implements link: it reads the socket's error queue, if that is the
// source of ICMP errors.
func (l *udpLink) poll() {
	if l.source != sourceErrQueue {
		return
	}
	l.drainMu.Lock()
	defer l.drainMu.Unlock()
	at := time.Now()
	// An error here means the socket is closed, or the queue could not be
	// read, which the probes then find lost: there is nothing else to do.
	_ = platform.ReadErrQueue(l.raw, func(q platform.QueuedError) {
		if ev, ok := icmp.FromQueued(l.local, q); ok {
			l.handleICMP(ev, at)
			return
		}
		// A local refusal, which send reports: keep the MTU it tells.
		if q.Origin == platform.OriginLocal && platform.IsMessageTooLong(q.Errno) && q.Info > 0 {
			l.mu.Lock()
			l.localMTU = int(min(q.Info, 1<<16))
			l.mu.Unlock()
		}
	})
}

// handleDatagram delivers a datagram from the host as the answer to the
// probe it echoes, if it echoes one.
func (l *udpLink) handleDatagram(b []byte, at time.Time) {
	var p probe
	if !p.unmarshal(b) || p.token != l.token || l.sentLen(p.seq) == 0 {
		return
	}
	l.deliver(answer{kind: answerReached, seq: p.seq, at: at, echo: true})
}

// handleICMP validates an ICMP error about a datagram the socket sent and
// delivers it as an answer.
func (l *udpLink) handleICMP(ev icmp.Event, at time.Time) {
	var p probe
	var seq uint32
	if p.unmarshal(ev.Quote) && p.token == l.token {
		seq = p.seq
	}
	size := l.sentLen(seq)
	if size == 0 {
		size = l.maxSent() // the quote does not tell which probe
	}
	ev, err := l.validator.Validate(ev, l.local, l.remote, size, l.match)
	if err != nil {
		return // counted by the validator
	}
	l.deliver(answer{kind: classify(ev, l.remote.Addr()), seq: seq, at: at, ev: ev})
}

// match is the icmp.Matcher: it reports whether quote starts a probe of
// this run.
func (l *udpLink) match(quote []byte) bool {
	var p probe
	return p.unmarshal(quote) && p.token == l.token && l.sentLen(p.seq) != 0
}

// sentLen returns the UDP payload length of probe seq, or 0 if it was not
// sent.
func (l *udpLink) sentLen(seq uint32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sizes[seq]
}

// maxSent returns the UDP payload length of the largest probe sent.
func (l *udpLink) maxSent() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := 0
	for _, n := range l.sizes {
		m = max(m, n)
	}
	return m
}

// deliver passes a to the search, unless the link is closing.
func (l *udpLink) deliver(a answer) {
	select {
	case l.out <- a:
	case <-l.done:
	}
}
