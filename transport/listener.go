package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
)

// DefaultBacklog is the number of associations that may wait for Accept
// when ListenConfig.Backlog is zero.
const DefaultBacklog = 64

// maxDatagram is the size of the listener's read buffer: the largest UDP
// payload (RFC 768 allows 65535 bytes including the 8-byte header; the
// buffer is simply never too short).
const maxDatagram = 65535

// A ListenConfig contains options for listening. The zero value is ready to
// use.
type ListenConfig struct {
	// Backlog bounds the associations that have been created but not yet
	// returned by Accept; zero means DefaultBacklog. While the backlog is
	// full, ClientHellos from new peers are dropped (their retransmission
	// timers will try again).
	Backlog int
	// MTU, if not zero, fixes the path MTU of every association at MTU bytes
	// including the IP and UDP headers, as Dialer.MTU does.
	MTU int
	// MaxMTU, if not zero, caps the path MTU of every association, as
	// Dialer.MaxMTU does.
	MaxMTU int
	// DF is the socket's Don't Fragment mode, as for Dialer.DF.
	DF platform.DFMode
	// DisableProbing, if true, sends no path-MTU probes on any
	// association, as Dialer.DisableProbing does.
	DisableProbing bool
	// ProbeTimeout, ConfirmTimeout and RaiseTimeout are the timers of
	// every association's path-MTU search, as for the Dialer's fields of
	// the same names; zero means the pmtu package's defaults.
	ProbeTimeout, ConfirmTimeout, RaiseTimeout time.Duration
}

// A Listener serves DTLS associations on one UDP socket. One goroutine reads
// the socket and demultiplexes datagrams to associations by the peer's
// address and port; an association is created only for a ClientHello with a
// valid cookie (RFC 6347 §4.2.1).
type Listener struct {
	conn    *net.UDPConn
	config  *dtls.Config
	mtu     int // fixed MTU, or 0
	maxMTU  int // cap on the estimate, or 0
	bound   int // MTU of the socket's interfaces, or 0 if unknown
	noProbe bool
	timers  pathConfig // the pmtu timers of every association's path
	backlog chan *Conn

	local netip.AddrPort
	caps  platform.Capabilities
	drain func() // reads the error queue, routing entries to associations

	mu     sync.Mutex
	assocs map[netip.AddrPort]*assocConn
	closed bool

	closing   chan struct{} // closed by Close
	readDone  chan struct{} // closed when the reader goroutine returns
	closeOnce sync.Once

	stats listenerStats
}

// listenerStats are the listener's counters, for tests and debugging.
type listenerStats struct {
	created      atomic.Uint64 // associations created
	hellosVerify atomic.Uint64 // HelloVerifyRequests sent
	backlogFull  atomic.Uint64 // verified ClientHellos dropped: backlog full
	ignored      atomic.Uint64 // datagrams from unknown peers that were no ClientHello
	queueFull    atomic.Uint64 // datagrams dropped: association queue full
	unrouted     atomic.Uint64 // error-queue entries about no association
}

// Listen opens one UDP socket on address ("udp", "udp4" or "udp6") and
// starts one goroutine that reads it and demultiplexes datagrams to
// associations by remote address. A datagram from an unknown address is
// passed to config.VerifyClientHello before any state for its sender
// exists. Every association is a dtls.Server over the same config, so that
// the cookie the listener checked verifies again there; config must not be
// nil, and must not be changed after Listen.
func Listen(network, address string, config *dtls.Config) (*Listener, error) {
	var lc ListenConfig
	return lc.Listen(network, address, config)
}

// Listen is like the package-level [Listen] with the ListenConfig's options.
func (lc *ListenConfig) Listen(network, address string, config *dtls.Config) (*Listener, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	if config == nil {
		return nil, errors.New("dtls: Listen needs a Config")
	}
	if err := checkMTU(lc.MTU); err != nil {
		return nil, err
	}
	if lc.Backlog < 0 {
		return nil, errors.New("dtls: negative ListenConfig.Backlog")
	}
	backlog := lc.Backlog
	if backlog == 0 {
		backlog = DefaultBacklog
	}
	l := &Listener{
		config:  config,
		mtu:     lc.MTU,
		maxMTU:  lc.MaxMTU,
		noProbe: lc.DisableProbing,
		timers: pathConfig{
			probeTimeout:   lc.ProbeTimeout,
			confirmTimeout: lc.ConfirmTimeout,
			raiseTimeout:   lc.RaiseTimeout,
		},
		backlog:  make(chan *Conn, backlog),
		assocs:   make(map[netip.AddrPort]*assocConn),
		closing:  make(chan struct{}),
		readDone: make(chan struct{}),
	}
	if err := l.open(network, address, lc.DF); err != nil {
		return nil, err
	}
	go l.readLoop()
	return l, nil
}

// open opens the listener's socket through platform.
func (l *Listener) open(network, address string, df platform.DFMode) error {
	nlc := net.ListenConfig{Control: platform.Control(socketOptions(df), &l.caps)}
	pc, err := nlc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return err
	}
	l.conn = pc.(*net.UDPConn)
	raw, err := l.conn.SyscallConn()
	if err != nil {
		l.conn.Close()
		return err
	}
	l.local = l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	l.bound = interfaceMTU(l.local.Addr())
	l.drain = drainer(raw, l.caps, l.route)
	return nil
}

// Capabilities returns what the operating system provided on the
// listener's socket.
func (l *Listener) Capabilities() platform.Capabilities { return l.caps }

// Accept waits for and returns the next association. As with
// crypto/tls.Listener, the handshake has not run yet: it runs on the
// returned Conn's first Read, Write or Handshake, on the caller's goroutine.
// After Close, Accept returns net.ErrClosed.
func (l *Listener) Accept() (*Conn, error) {
	return l.AcceptContext(context.Background())
}

// AcceptContext is like Accept but also returns ctx.Err() when ctx is done
// first.
func (l *Listener) AcceptContext(ctx context.Context) (*Conn, error) {
	select {
	case <-l.closing:
		return nil, l.closedError()
	default:
	}
	select {
	case c := <-l.backlog:
		return c, nil
	case <-l.closing:
		return nil, l.closedError()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *Listener) closedError() error {
	return &net.OpError{Op: "accept", Net: "udp", Addr: l.Addr(), Err: net.ErrClosed}
}

// Addr returns the listener's local address.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// Close stops the listener: it closes every association it created, which
// sends close_notify on those whose handshake completed and makes their
// blocked Reads return, closes the socket, and waits for the reader
// goroutine to return. Accept then returns net.ErrClosed.
func (l *Listener) Close() error {
	err := l.closedError()
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		assocs := make([]*assocConn, 0, len(l.assocs))
		for _, a := range l.assocs {
			assocs = append(assocs, a)
		}
		l.mu.Unlock()
		close(l.closing)
		for _, a := range assocs {
			a.closeDTLS()
		}
		err = l.conn.Close()
		<-l.readDone
	})
	return err
}

// remove takes a from the demultiplexing table.
func (l *Listener) remove(a *assocConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.assocs[a.remote] == a {
		delete(l.assocs, a.remote)
	}
}

// associations returns the number of live associations.
func (l *Listener) associations() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.assocs)
}
