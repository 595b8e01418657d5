package dtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/record"
	"github.com/pathdtls/pathdtls/internal/deadline"
)

// A Conn is a DTLS association. It is a net.Conn that keeps datagram
// boundaries: one Write sends one record in one datagram, and one Read
// returns the data of one record. Read and Write may be called from
// different goroutines at the same time.
//
// The protocol runs on its own (see the package documentation): the
// application's Read only takes decrypted data from a bounded queue.
type Conn struct {
	link     Link
	nl       *netLink // the reader of a Conn made by Client or Server, else nil
	config   *Config
	isClient bool

	in  inHalf  // the receive side and the handshake; see engine.go
	out outHalf // the send side
	hb  heartbeatState
	rq  recvQueue

	startOnce     sync.Once
	started       atomic.Bool   // start has run
	hsDone        chan struct{} // closed when the handshake completes or fails
	hsErr         error         // why it failed; written before hsDone is closed
	handshakeDone atomic.Bool
	// state is set by each handshake that completes, under c.in's lock
	// and stateMu; ConnectionState reads it under stateMu.
	p13     *post13     // DTLS 1.3's state after its handshake, under c.in's lock
	v13     atomic.Bool // the handshake chose DTLS 1.3
	stateMu sync.Mutex
	state   ConnectionState

	readDeadline  deadline.Deadline
	writeDeadline deadline.Deadline
	closed        atomic.Bool
	ended         atomic.Bool // the connection ended: endErr says why
	endErr        error       // written once, before ended is set
	stats         connStats
}

// writable returns why nothing can be sent on c any more, or nil: c was
// closed, the peer closed it (ErrPeerClosed), or it failed (the error that
// ended it).
func (c *Conn) writable() error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	if c.ended.Load() {
		if c.endErr == io.EOF {
			return ErrPeerClosed
		}
		return c.endErr
	}
	return nil
}

// Client returns a new client-side Conn over conn, a connected datagram
// connection whose Read and Write carry whole datagrams, such as a
// connected *net.UDPConn. The handshake runs on the first Read or Write,
// or on Handshake; from then on a goroutine of the Conn reads conn, until
// Close. If conn implements [Path], it sizes the datagrams; otherwise they
// are at most Config.DatagramSize bytes (see package transport for a Conn
// that finds the path MTU).
func Client(conn net.Conn, config *Config) *Conn { return newNetConn(conn, config, true) }

// Server returns a new server-side Conn over conn, as Client does. It
// answers ClientHellos without a valid cookie statelessly (unless
// Config.InsecureNoCookie is set).
func Server(conn net.Conn, config *Config) *Conn { return newNetConn(conn, config, false) }

// ClientOn returns a new client-side Conn that sends through link and
// receives what its owner passes to HandleDatagram. Its handshake starts at
// the first Handshake, Read or Write.
func ClientOn(link Link, config *Config) *Conn { return newConn(link, config, true) }

// ServerOn returns a new server-side Conn that sends through link and
// receives what its owner passes to HandleDatagram. Its handshake runs as
// datagrams arrive, with the deadline of Config.HandshakeTimeout counted
// from the first one, whether or not anyone calls Handshake.
func ServerOn(link Link, config *Config) *Conn { return newConn(link, config, false) }

func newNetConn(conn net.Conn, config *Config, isClient bool) *Conn {
	if config == nil {
		config = new(Config)
	}
	nl := &netLink{conn: conn}
	if p, ok := conn.(Path); ok {
		nl.path = p
	} else {
		nl.path = fixedPath(config.datagramSize())
	}
	c := newConn(nl, config, isClient)
	nl.c, c.nl = c, nl
	return c
}

func newConn(link Link, config *Config, isClient bool) *Conn {
	if config == nil {
		config = new(Config)
	}
	c := &Conn{link: link, config: config, isClient: isClient, hsDone: make(chan struct{})}
	c.in.init(config)
	c.out.init()
	c.rq.init(config.receiveQueueSize())
	return c
}

// ConnectionState describes a DTLS association.
type ConnectionState struct {
	Version              uint16 // VersionDTLS10, VersionDTLS12 or VersionDTLS13
	HandshakeComplete    bool
	CipherSuite          uint16
	ServerName           string // the server_name the client sent
	ExtendedMasterSecret bool   // RFC 7627 was negotiated
	PeerCertificates     []*x509.Certificate
	VerifiedChains       [][]*x509.Certificate
	PSKIdentity          []byte // the identity used with a PSK suite
	// DidResume says that the handshake resumed an earlier session: an
	// abbreviated handshake (RFC 5246 §7.4.1.2), whose peer certificates
	// and PSK identity are the session's.
	DidResume bool
	// ConnectionID is the connection ID (RFC 9146) that the peer puts in
	// the records this side receives, and PeerConnectionID the one this
	// side puts in the records it sends; both nil if none was negotiated,
	// either empty if that side asked for none.
	ConnectionID, PeerConnectionID []byte
	// SRTPProtectionProfile is the DTLS-SRTP profile negotiated (RFC 5764),
	// 0 for none, and SRTPMKI its MKI.
	SRTPProtectionProfile SRTPProtectionProfile
	SRTPMKI               []byte
	// NegotiatedProtocol is the application protocol ALPN chose (RFC
	// 7301), or "".
	NegotiatedProtocol string
	// CurveID is the group of the handshake's key exchange, such as
	// tls.X25519 or tls.X25519MLKEM768 (DTLS 1.3 only); 0 without one (a
	// PSK suite without ECDHE, a resumed DTLS 1.2 session).
	CurveID tls.CurveID

	ekm *exporter // for ExportKeyingMaterial; nil without the extended master secret
}

// ConnectionState returns details about the association. Before the
// handshake completes it returns the zero value.
func (c *Conn) ConnectionState() ConnectionState {
	if !c.handshakeDone.Load() {
		return ConnectionState{}
	}
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	return c.state
}

// setState records the state of a handshake that completes. c.in is held.
func (c *Conn) setState(st ConnectionState) {
	c.stateMu.Lock()
	c.state = st
	c.stateMu.Unlock()
}

// Handshake runs the handshake if it has not run yet, as HandshakeContext
// does with a context that is never done.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext runs the handshake if it has not run yet, and returns
// when it completes or fails, when Config.HandshakeTimeout passes, or when
// ctx is done, which ends the handshake. A handshake that timed out, by ctx
// or by Config.HandshakeTimeout, returns a [*HandshakeTimeoutError]. A
// failed handshake leaves the Conn unusable, and every later call returns
// the same error.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	if c.handshakeDone.Load() {
		return nil // every Read and Write asks: no lock on the record path
	}
	c.start()
	select {
	case <-c.hsDone:
		return c.hsErr
	default:
	}
	select {
	case <-c.hsDone:
	case <-ctx.Done():
		c.abortHandshake(contextError(ctx))
		<-c.hsDone
	}
	return c.hsErr
}

// MaxPayload returns the largest Write that fits in one datagram at the
// path's current size with the negotiated cipher suite, or 0 before the
// handshake completes.
func (c *Conn) MaxPayload() int {
	if !c.handshakeDone.Load() {
		return 0
	}
	c.out.Lock()
	defer c.out.Unlock()
	return c.out.maxPlaintext(c.out.dataEpoch, c.link.MaxDatagramSize())
}

// Write sends b as the data of one record in one datagram. If b does not fit
// (see MaxPayload) it sends nothing and returns a *PayloadTooLargeError.
// Once the connection has ended it sends nothing and says why:
// net.ErrClosed after Close, ErrPeerClosed after the peer's close_notify,
// or the error that ended it (an *AlertError, for one).
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if err := c.writable(); err != nil {
		return 0, err
	}
	if _, passed := c.writeDeadline.Wait(); passed {
		return 0, errDeadline("write")
	}
	if c.out.wantUpdate.Load() {
		_ = c.UpdateKeys(false) // the keys' limit is near (RFC 9147 §4.5.3)
	}
	c.out.Lock()
	defer c.out.Unlock()
	if max := c.out.maxPlaintext(c.out.dataEpoch, c.link.MaxDatagramSize()); len(b) > max {
		return 0, &PayloadTooLargeError{Size: len(b), Max: max}
	}
	if err := c.writeRecordLocked(record.ApplicationData, c.out.dataEpoch, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// ReceiveRoom returns nil if the queue of received data that Read takes
// from has room for a record, or else a channel that receives a value
// once Read has made room (or the Conn has ended). The owner of a Conn
// that it drives with HandleDatagram may wait on it, for a while, before
// handing the Conn more datagrams, so that when the application reads more
// slowly than its peer sends, datagrams wait in the socket, and are
// dropped there if they must, rather than decrypted only to be dropped
// from the queue.
func (c *Conn) ReceiveRoom() <-chan struct{} { return c.rq.room() }

// Read reads the data of one record into b, waiting for one to arrive. If b
// is too short for the record, Read returns io.ErrShortBuffer and keeps the
// record for the next call. After the peer's close_notify, and once the
// records before it were read, it returns io.EOF.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	return c.rq.read(b, &c.readDeadline)
}

// Close sends close_notify (if the handshake completed), ends a handshake in
// progress, stops the Conn's timers and its reader, and closes the link or
// the datagram connection.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	c.in.Lock()
	c.stopTimerLocked()
	c.failLocked(net.ErrClosed)
	c.in.Unlock()
	if c.handshakeDone.Load() {
		c.out.Lock()
		_ = c.sendCloseNotifyLocked()
		c.out.Unlock()
	}
	c.flushEvents()
	c.readDeadline.Stop()
	c.writeDeadline.Stop()
	return c.link.Close()
}

// LocalAddr returns the local address of the link or datagram connection.
func (c *Conn) LocalAddr() net.Addr { return c.link.LocalAddr() }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.link.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.readDeadline.Set(t)
	c.writeDeadline.Set(t)
	return nil
}

// SetReadDeadline sets the deadline for Read, which waits for decrypted
// data; the protocol goes on regardless.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.readDeadline.Set(t)
	return nil
}

// SetWriteDeadline sets the deadline for Write. Datagram sends do not wait
// for the peer, so it is only checked before sending.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Set(t)
	return nil
}

// Stats are counters of one Conn.
type Stats struct {
	Retransmissions uint64 // flights sent again (timer, peer retransmission, or smaller path)
	Received        uint64 // records authenticated and processed
	BadRecords      uint64 // records that failed authentication, discarded
	ReplayedRecords uint64 // records rejected by the anti-replay window
	DroppedRecords  uint64 // malformed records, unknown epochs, and similar
	DroppedData     uint64 // application records dropped because the receive queue was full
}

type connStats struct {
	retransmissions, received, badRecords, replayed, dropped atomic.Uint64
}

// Stats returns the Conn's counters.
func (c *Conn) Stats() Stats {
	return Stats{
		Retransmissions: c.stats.retransmissions.Load(),
		Received:        c.stats.received.Load(),
		BadRecords:      c.stats.badRecords.Load(),
		ReplayedRecords: c.stats.replayed.Load(),
		DroppedRecords:  c.stats.dropped.Load(),
		DroppedData:     c.rq.dropped.Load(),
	}
}

var (
	errSeqExhausted   = errors.New("dtls: record sequence numbers exhausted; open a new association")
	errTooManyUseless = errors.New("dtls: too many ignored records from the peer")
)
