package dtls

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// A Conn is a DTLS association over a datagram connection. It is a net.Conn
// that keeps datagram boundaries: one Write sends one record in one datagram,
// and one Read returns the data of one record. Read and Write may be called
// from different goroutines at the same time.
type Conn struct {
	conn     net.Conn
	config   *Config
	isClient bool
	path     Path

	handshakeMu   sync.Mutex
	handshakeErr  error
	handshakeDone atomic.Bool
	state         ConnectionState // set by the handshake, read-only after it

	in  inHalf
	out outHalf
	hb  heartbeatState

	readDeadline atomic.Pointer[time.Time] // the caller's, restored after handshakes
	closed       atomic.Bool
	stats        connStats
}

// Client returns a new client-side Conn over conn, a connection whose Read and
// Write carry whole datagrams. The handshake runs on the first Read or Write,
// or on an explicit Handshake.
func Client(conn net.Conn, config *Config) *Conn { return newConn(conn, config, true) }

// Server returns a new server-side Conn over conn. It answers ClientHellos
// without a valid cookie statelessly (unless Config.InsecureNoCookie is set).
func Server(conn net.Conn, config *Config) *Conn { return newConn(conn, config, false) }

func newConn(conn net.Conn, config *Config, isClient bool) *Conn {
	if config == nil {
		config = new(Config)
	}
	c := &Conn{conn: conn, config: config, isClient: isClient}
	if p, ok := conn.(Path); ok {
		c.path = p
	} else {
		c.path = newFixedPath(config.datagramSize())
	}
	c.in.init(config)
	c.out.init()
	return c
}

// ConnectionState describes a DTLS association.
type ConnectionState struct {
	Version              uint16 // VersionDTLS10 or VersionDTLS12
	HandshakeComplete    bool
	CipherSuite          uint16
	ServerName           string // the server_name the client sent
	ExtendedMasterSecret bool   // RFC 7627 was negotiated
	PeerCertificates     []*x509.Certificate
	VerifiedChains       [][]*x509.Certificate
	PSKIdentity          []byte // the identity used with a PSK suite
}

// ConnectionState returns details about the association. Before the
// handshake completes it returns the zero value.
func (c *Conn) ConnectionState() ConnectionState {
	if !c.handshakeDone.Load() {
		return ConnectionState{}
	}
	return c.state
}

// Handshake runs the handshake if it has not run yet. It returns when the
// handshake completes, fails, ctx is done, or Config.HandshakeTimeout passes.
// A failed handshake leaves the Conn unusable.
func (c *Conn) Handshake(ctx context.Context) error {
	if c.handshakeDone.Load() {
		return nil // every Read and Write asks: no lock on the record path
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.handshakeErr != nil || c.handshakeDone.Load() {
		return c.handshakeErr
	}
	if err := c.config.check(); err != nil {
		c.handshakeErr = err
		return err
	}
	c.in.Lock()
	defer c.in.Unlock()
	err := c.runHandshake(ctx)
	c.restoreReadDeadline()
	if err != nil {
		c.handshakeErr = err
		return err
	}
	c.handshakeDone.Store(true)
	return nil
}

func (c *Conn) runHandshake(ctx context.Context) error {
	if c.isClient {
		return newClientHandshake(c).run(ctx)
	}
	return newServerHandshake(c).run(ctx)
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
	return c.out.maxPlaintext(c.out.cur.epoch, c.path.MaxDatagramSize())
}

// Write sends b as the data of one record in one datagram. If b does not fit
// (see MaxPayload) it sends nothing and returns a *PayloadTooLargeError.
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.Handshake(context.Background()); err != nil {
		return 0, err
	}
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	c.out.Lock()
	defer c.out.Unlock()
	if max := c.out.maxPlaintext(c.out.cur.epoch, c.path.MaxDatagramSize()); len(b) > max {
		return 0, &PayloadTooLargeError{Size: len(b), Max: max}
	}
	if err := c.writeRecordLocked(record.ApplicationData, c.out.cur.epoch, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Read reads the data of one record into b. If b is too short for the
// record, Read returns io.ErrShortBuffer and keeps the record for the next
// call. At the peer's close_notify it returns io.EOF.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.Handshake(context.Background()); err != nil {
		return 0, err
	}
	c.in.Lock()
	defer c.in.Unlock()
	return c.readData(b)
}

// Close sends close_notify (if the handshake completed) and closes the
// datagram connection.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	if c.handshakeDone.Load() {
		c.out.Lock()
		_ = c.sendAlertLocked(alertLevelWarning, AlertCloseNotify)
		c.out.Unlock()
	}
	return c.conn.Close()
}

// LocalAddr returns the local address of the datagram connection.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the remote address of the datagram connection.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.readDeadline.Store(&t)
	return c.conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline. The handshake uses the datagram
// connection's read deadline for its timers and restores this one afterwards.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.readDeadline.Store(&t)
	return c.conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

func (c *Conn) userReadDeadline() time.Time {
	if t := c.readDeadline.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

func (c *Conn) restoreReadDeadline() { _ = c.conn.SetReadDeadline(c.userReadDeadline()) }

// Path returns the Path that sizes this Conn's datagrams.
func (c *Conn) Path() Path { return c.path }

// Stats are counters of one Conn.
type Stats struct {
	Retransmissions uint64 // flights sent again (timer, peer retransmission, or smaller path)
	BadRecords      uint64 // records that failed authentication, discarded
	ReplayedRecords uint64 // records rejected by the anti-replay window
	DroppedRecords  uint64 // malformed records, unknown epochs, and similar
}

type connStats struct {
	retransmissions, badRecords, replayed, dropped atomic.Uint64
}

// Stats returns the Conn's counters.
func (c *Conn) Stats() Stats {
	return Stats{
		Retransmissions: c.stats.retransmissions.Load(),
		BadRecords:      c.stats.badRecords.Load(),
		ReplayedRecords: c.stats.replayed.Load(),
		DroppedRecords:  c.stats.dropped.Load(),
	}
}

var (
	errHandshakeTimeout = errors.New("dtls: handshake timed out")
	errSeqExhausted     = errors.New("dtls: record sequence numbers exhausted; open a new association")
	errTooManyUseless   = errors.New("dtls: too many ignored records from the peer")
)
