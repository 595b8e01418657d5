package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/sock"
)

// An assoc is one association over a socket: the DTLS engine, its path,
// and the link between them and the socket. It implements dtls.Link: the
// engine sends through it and hears its path through it, and whoever reads
// the socket (the listener's reader, or a client's) hands it the peer's
// datagrams. It starts no goroutine; its idle timer is a callback.
type assoc struct {
	sock  *sock.Socket
	local netip.AddrPort // the socket's
	path  *path
	conn  *dtls.Conn
	owner owner

	idleTimeout time.Duration // 0: never
	idled       atomic.Bool   // the idle timer ended the association
	// congested says that a reader waited for room in vain (roomWaiter).
	// Usually one reader has the association, but a datagram with its
	// connection ID may reach it through another socket of the listener.
	congested atomic.Bool

	mu        sync.Mutex
	idleTimer *time.Timer
	idleSeen  uint64 // the engine's count of received records at the last check
	ended     bool   // Close was called

	doneOnce  sync.Once
	closeOnce sync.Once
	ready     chan struct{} // closed when the handshake ends
	hsErr     error         // why it failed; written before ready is closed
}

// peer returns the peer's address, its path's: a server association's
// changes when its peer moves (see shard.move).
func (a *assoc) peer() netip.AddrPort { return a.path.peer() }

// An owner is what an association belongs to: a Listener, or nothing for a
// client.
type owner interface {
	// handshakeDone hears that a's handshake ended, with err nil if it
	// completed. It runs without the engine's locks.
	handshakeDone(a *assoc, err error)
	// closed hears that a ended.
	closed(a *assoc)
}

var _ dtls.BatchLink = (*assoc)(nil)

func (a *assoc) MaxDatagramSize() int    { return a.path.MaxDatagramSize() }
func (a *assoc) FlightLost(size int)     { a.path.FlightLost(size) }
func (a *assoc) FlightAnswered(size int) { a.path.FlightAnswered(size) }
func (a *assoc) LocalAddr() net.Addr     { return net.UDPAddrFromAddrPort(a.local) }
func (a *assoc) RemoteAddr() net.Addr    { return net.UDPAddrFromAddrPort(a.peer()) }

// WriteDatagram sends one datagram to the peer through the socket, which
// drains and retries past errors about other datagrams. A datagram the
// local stack refuses as too long comes back as an error wrapping
// dtls.ErrMessageTooLong, the socket's handler having told the path its
// limit; one the socket could not send is reported as not sent, never as
// sent.
func (a *assoc) WriteDatagram(b []byte, first dtls.RecordID) error {
	a.path.sending(b, first)
	if err := a.sock.Send(b, a.peer()); err != nil {
		return a.sendError(err, len(b))
	}
	return nil
}

// sendError counts and translates the error of a datagram of size bytes
// that the socket did not send.
func (a *assoc) sendError(err error, size int) error {
	if errors.Is(err, sock.ErrNotSent) {
		a.path.notSent.Add(1)
	}
	var tl *sock.TooLongError
	if errors.As(err, &tl) {
		a.path.localLimit(tl.MTU, size)
		return fmt.Errorf("%w: %w", dtls.ErrMessageTooLong, err)
	}
	return err
}

// WriteDatagrams sends ds to the peer as WriteDatagram sends one, in
// batches of as few system calls as the socket allows. It returns the
// number sent from the start and, if not all were, the error of the first
// that was not.
func (a *assoc) WriteDatagrams(ds [][]byte, firsts []dtls.RecordID) (int, error) {
	a.path.sendingBatch(ds, firsts)
	ms := messagePool.Get().(*[]sock.Message)
	defer putMessages(ms)
	for _, d := range ds {
		*ms = append(*ms, sock.Message{Buf: d, Addr: a.peer()})
	}
	a.sock.SendBatch(*ms)
	for i, m := range *ms {
		if m.Err != nil {
			return i, a.sendError(m.Err, len(m.Buf))
		}
	}
	return len(ds), nil
}

// messagePool holds the messages of WriteDatagrams: shared by every
// association, so that the data path does not allocate.
var messagePool = sync.Pool{New: func() any { return new([]sock.Message) }}

func putMessages(ms *[]sock.Message) {
	clear(*ms)
	*ms = (*ms)[:0]
	messagePool.Put(ms)
}

// HandshakeDone hears the end of the handshake from the engine.
func (a *assoc) HandshakeDone(err error) {
	a.doneOnce.Do(func() {
		a.hsErr = err
		if a.owner != nil {
			a.owner.handshakeDone(a, err)
		}
		close(a.ready) // after probing has started
	})
}

// Ended hears that the association ended after its handshake (the peer
// closed it, or it failed): nothing is left to probe.
func (a *assoc) Ended(error) { a.path.stopProbing() }

// Close is called by the engine's Close: the association ends, its timers
// stop, and its owner forgets it.
func (a *assoc) Close() error {
	err := net.ErrClosed
	a.closeOnce.Do(func() {
		err = nil
		a.mu.Lock()
		a.ended = true
		if a.idleTimer != nil {
			a.idleTimer.Stop()
		}
		a.mu.Unlock()
		a.path.stopProbing()
		if a.owner != nil {
			a.owner.closed(a)
		}
	})
	return err
}

// startIdleTimer reaps the association once the peer has sent nothing
// authenticated for the idle timeout.
func (a *assoc) startIdleTimer() {
	if a.idleTimeout <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.ended {
		a.idleSeen = a.conn.Stats().Received
		a.idleTimer = time.AfterFunc(a.idleTimeout, a.checkIdle)
	}
}

// checkIdle runs at each idle period: an association whose peer sent
// nothing since the last check is closed; the application's Read then
// returns ErrIdleTimeout.
func (a *assoc) checkIdle() {
	a.mu.Lock()
	n := a.conn.Stats().Received
	if a.ended || n != a.idleSeen {
		a.idleSeen = n
		if !a.ended {
			a.idleTimer.Reset(a.idleTimeout)
		}
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	a.idled.Store(true)
	if a.path.log.Enabled(slog.LevelInfo) {
		a.path.log.Event(slog.LevelInfo, "association idle", "association with %s idle for %v: closing it",
			slog.Any("peer", a.peer()), slog.Duration("idle", a.idleTimeout))
	}
	_ = a.conn.Close()
}
