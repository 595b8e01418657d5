package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/pmtu"
)

// Defaults of a ListenConfig's zero fields.
const (
	// DefaultBacklog is the number of associations whose handshake
	// completed that may wait for Accept: room for a crowd of clients
	// that connect at once while the accepting goroutine waits for a
	// core (each waits with a few kilobytes), as a TCP listen backlog.
	DefaultBacklog = 1024
	// DefaultMaxHalfOpen is the number of associations whose handshake is
	// in progress that a listener keeps at once; a new one evicts the
	// oldest beyond it. Each holds a few kilobytes, so a full table stays
	// within tens of megabytes.
	DefaultMaxHalfOpen = 2048
	// DefaultIdleTimeout is how long an association whose peer sends
	// nothing authenticated lives before the listener closes it. An
	// association that probes its path hears from a live peer at least
	// every pmtu.DefaultConfirmTimeout.
	DefaultIdleTimeout = 5 * time.Minute
)

// A ListenConfig contains options for listening. The zero value is ready to
// use.
type ListenConfig struct {
	// Control, if not nil, is called after each socket is created and
	// this package has set its options, before it is bound, as
	// net.ListenConfig.Control.
	Control func(network, address string, c syscall.RawConn) error
	// Backlog bounds the associations whose handshake completed and that
	// Accept has not returned yet; zero means DefaultBacklog. While it is
	// full, no new association starts: ClientHellos from new peers are
	// dropped, and their retransmission timers try again.
	Backlog int
	// MaxHalfOpen bounds the associations whose handshake is in progress;
	// zero means DefaultMaxHalfOpen. A new association beyond it evicts the
	// one that has waited longest, so that a flood of stalled handshakes
	// cannot lock out legitimate clients.
	MaxHalfOpen int
	// IdleTimeout is how long an association lives after its peer last
	// sent an authenticated record; zero means DefaultIdleTimeout, and a
	// negative value never closes one. Read then returns ErrIdleTimeout.
	IdleTimeout time.Duration
	// MTU, if not zero, fixes the path MTU of every association at MTU bytes
	// including the IP and UDP headers, as Dialer.MTU does. Listen and
	// NewListener return an error when it is above the cap (MaxMTU, or
	// DefaultMaxMTU when MaxMTU is zero). The route to each peer is known
	// only when the peer arrives: an association whose route has a smaller
	// MTU is fixed at the route's, and the Config's Logger says so.
	MTU int
	// MaxMTU, if not zero, caps the path MTU of every association, as
	// Dialer.MaxMTU does. It must be within [576, 65535], or Listen and
	// NewListener return an error; an IPv6 association's cap is at least
	// 1280, the smallest MTU of IPv6.
	MaxMTU int
	// DF is the socket's Don't Fragment mode, as for Dialer.DF.
	DF platform.DFMode
	// DisableProbing, if true, sends no path-MTU probes on any
	// association, as Dialer.DisableProbing does.
	DisableProbing bool
	// ProbeTimeout, ConfirmTimeout and RaiseTimeout are the timers of
	// every association's path-MTU search, as for the Dialer's fields of
	// the same names.
	ProbeTimeout, ConfirmTimeout, RaiseTimeout time.Duration
	// HandshakeFailed, if not nil, is called with the peer's address and
	// the error of every handshake that fails; such associations never
	// reach Accept. It runs on the listener's goroutines and must not
	// block.
	HandshakeFailed func(remote net.Addr, err error)
	// Readers is the number of sockets that share the listening address,
	// each read by a goroutine of its own, so that receiving and
	// handshakes use several cores: Linux spreads the datagrams of
	// different peers among them (SO_REUSEPORT) and keeps each peer's on
	// one. Zero means GOMAXPROCS, at most 4; elsewhere, and for a
	// NewListener, there is one socket. MaxHalfOpen is shared out among
	// them. Above MaxReaders, Listen and NewListener return an error.
	Readers int
}

// MaxReaders bounds ListenConfig.Readers. Each reader is a socket with a
// receive buffer of a few megabytes and a goroutine, and the system
// spreads peers among the sockets by a hash, not by load: past a few per
// core, more of them add memory and no throughput, and a much larger
// number is more likely a mistake than a plan.
const MaxReaders = 64

// A Listener serves DTLS associations on a UDP address. A goroutine reads
// each of its sockets (one, or on Linux several that share the address:
// see ListenConfig.Readers) and hands each datagram to its association's
// engine, or to the cookie gate when it comes from an unknown address; an
// association is created only for a ClientHello with a valid cookie (RFC
// 6347 §4.2.1), and Accept returns it once its handshake has completed.
type Listener struct {
	shards []*shard // a socket and its reader each
	config *dtls.Config
	opts   ListenConfig // with the defaults filled in
	local  netip.AddrPort
	caps   platform.Capabilities
	cache  *mtuCache
	pacer  *pacer
	ready  chan *Conn

	closing   chan struct{} // closed by Close
	closeOnce sync.Once

	// cidLen is the length of the connection IDs the listener's
	// associations ask for, 0 if they ask for none; cids finds them.
	cidLen int
	cids   cidTable

	stats listenerStats
}

var _ net.Listener = (*Listener)(nil)

// Listen opens a UDP socket on address ("udp", "udp4" or "udp6"), or on
// Linux a few that share it (see ListenConfig.Readers), and starts a
// goroutine for each that reads it and runs its associations. Every
// association is a server over config, which must not be nil and must not
// be changed after Listen. The address is the listener's alone: Listen
// fails if a socket or another listener holds it, however many readers
// either has.
func Listen(network, address string, config *dtls.Config) (*Listener, error) {
	var lc ListenConfig
	return lc.Listen(context.Background(), network, address, config)
}

// Listen is like the package-level [Listen] with the ListenConfig's
// options; ctx bounds the opening of the socket only.
func (lc *ListenConfig) Listen(ctx context.Context, network, address string, config *dtls.Config) (*Listener, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	if err := lc.check(config); err != nil {
		return nil, err
	}
	nlc := &net.ListenConfig{Control: lc.Control}
	group, err := sock.ListenGroup(ctx, nlc, network, address, lc.DF, lc.readers())
	if err != nil {
		return nil, err
	}
	return lc.serveGroup(group, config), nil
}

// readers returns the number of sockets to listen with.
func (lc *ListenConfig) readers() int {
	if lc.Readers > 0 {
		return lc.Readers
	}
	return min(runtime.GOMAXPROCS(0), maxDefaultReaders)
}

// maxDefaultReaders caps the readers of a ListenConfig whose Readers is 0.
const maxDefaultReaders = 4

// NewListener returns a Listener that serves DTLS associations on pc, a
// socket the application made, which the Listener then owns: Close closes
// it. A *net.UDPConn gets the Don't Fragment bit and (on Linux) the error
// queue, as Listen's socket does; over any other net.PacketConn every
// association sends datagrams of a fixed size, config.DatagramSize or
// dtls.DefaultDatagramSize bytes of UDP payload.
func NewListener(pc net.PacketConn, config *dtls.Config) (*Listener, error) {
	var lc ListenConfig
	return lc.NewListener(pc, config)
}

// NewListener is like the package-level [NewListener] with the
// ListenConfig's options; Control does not apply.
func (lc *ListenConfig) NewListener(pc net.PacketConn, config *dtls.Config) (*Listener, error) {
	if err := checkPacketConn(pc, "NewListener"); err != nil {
		return nil, err
	}
	if err := lc.check(config); err != nil {
		return nil, err
	}
	sc, err := sock.FromPacketConn(pc, lc.DF)
	if err != nil {
		return nil, err
	}
	return lc.serve(sc, config), nil
}

// check reports options that cannot work.
func (lc *ListenConfig) check(config *dtls.Config) error {
	switch {
	case config == nil:
		return errors.New("dtls: a Listener needs a Config")
	case lc.Backlog < 0:
		return errors.New("dtls: negative ListenConfig.Backlog")
	case lc.MaxHalfOpen < 0:
		return errors.New("dtls: negative ListenConfig.MaxHalfOpen")
	case lc.Readers < 0:
		return errors.New("dtls: negative ListenConfig.Readers")
	case lc.Readers > MaxReaders:
		return fmt.Errorf("dtls: ListenConfig.Readers %d is above MaxReaders (%d)", lc.Readers, MaxReaders)
	}
	if err := config.CheckServer(); err != nil {
		return err
	}
	// Either family may arrive: IPv4's bounds are the wider.
	if err := checkMaxMTU("ListenConfig", lc.MaxMTU, pmtu.IPv4); err != nil {
		return err
	}
	return checkFixedMTU("ListenConfig", lc.MTU, lc.MaxMTU, pmtu.IPv4)
}

// serve starts a Listener on sc.
func (lc *ListenConfig) serve(sc sock.Conn, config *dtls.Config) *Listener {
	return lc.serveGroup([]sock.Conn{sc}, config)
}

// serveGroup starts a Listener on the sockets of group, which share an
// address, a reader each.
func (lc *ListenConfig) serveGroup(group []sock.Conn, config *dtls.Config) *Listener {
	opts := *lc
	if opts.Backlog == 0 {
		opts.Backlog = DefaultBacklog
	}
	if opts.MaxHalfOpen == 0 {
		opts.MaxHalfOpen = DefaultMaxHalfOpen
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	l := &Listener{
		config: config,
		opts:   opts,
		local:  group[0].LocalAddr(),
		caps:   group[0].Capabilities(),
		cache:  newMTUCache(opts.RaiseTimeout),
		pacer:  newPacer(defaultProbeRate, defaultProbeBurst),
		// Room for every association that may complete: new ones start
		// only while fewer than Backlog wait, so one that completes always
		// finds room.
		ready:   make(chan *Conn, opts.Backlog+opts.MaxHalfOpen),
		closing: make(chan struct{}),
	}
	if cc := config.ConnectionID; cc != nil {
		l.cidLen = cc.Length
	}
	// The half-open bound is the listener's, shared out among its readers.
	halfOpen := (opts.MaxHalfOpen + len(group) - 1) / len(group)
	for _, sc := range group {
		l.shards = append(l.shards, newShard(l, sc, halfOpen))
	}
	for _, s := range l.shards {
		go s.read()
	}
	return l
}

// listenerReadBuffer is the receive buffer a listener asks for: room for
// the bursts of many peers (a hundred handshakes at once) while its reader
// is busy with one.
const listenerReadBuffer = 4 << 20

// Capabilities returns what the operating system provided on the
// listener's socket.
func (l *Listener) Capabilities() platform.Capabilities { return l.caps }

// Accept waits for and returns the next association whose handshake has
// completed, as a *Conn. After Close, it returns an error wrapping
// net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptContext(context.Background())
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptContext is like Accept but returns a *Conn, and returns ctx.Err()
// when ctx is done first.
func (l *Listener) AcceptContext(ctx context.Context) (*Conn, error) {
	select {
	case <-l.closing:
		return nil, l.closedError("accept")
	default:
	}
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.closing:
		return nil, l.closedError("accept")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// closedError is the error of op on a closed listener.
func (l *Listener) closedError(op string) error {
	return &net.OpError{Op: op, Net: "udp", Addr: l.Addr(), Err: net.ErrClosed}
}

// Addr returns the listener's local address.
func (l *Listener) Addr() net.Addr { return net.UDPAddrFromAddrPort(l.local) }

// Close stops the listener: it closes every association, which sends
// close_notify on those whose handshake completed and makes their blocked
// Reads return, closes the socket, and waits for the reader to return.
// Accept then returns an error wrapping net.ErrClosed.
func (l *Listener) Close() error {
	err := l.closedError("close")
	l.closeOnce.Do(func() {
		var all []*serverAssoc
		for _, s := range l.shards {
			all = append(all, s.shutDown()...)
		}
		close(l.closing)
		for _, a := range all {
			_ = a.conn.Close()
		}
		err = nil
		for _, s := range l.shards {
			if serr := s.sock.Close(); err == nil {
				err = serr
			}
			<-s.readDone
		}
		for {
			select {
			case c := <-l.ready:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return err
}
