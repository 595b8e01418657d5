package transport

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/deadline"
)

// assocQueueLen is how many received datagrams an association holds for its
// reader; when the queue is full, further datagrams are dropped and counted,
// as a socket's receive buffer would drop them.
const assocQueueLen = 64

// An assocConn is the datagram connection of one server-side association:
// a net.Conn over the listener's shared socket, bound to one remote address.
// The listener's reader goroutine delivers its datagrams into a bounded
// queue; its writes go to the socket directly. It carries the state of
// its path, and so implements dtls.Path. It starts no goroutines.
type assocConn struct {
	*path
	l      *Listener
	remote netip.AddrPort
	raddr  *net.UDPAddr
	dtls   *dtls.Conn // the association's DTLS side, closed with the listener

	queue     chan *[]byte // buffers from copyDatagram
	closed    chan struct{}
	closeOnce sync.Once
	dropped   atomic.Uint64 // datagrams dropped because the queue was full

	readDeadline, writeDeadline deadline.Deadline
}

var (
	_ net.Conn  = (*assocConn)(nil)
	_ dtls.Path = (*assocConn)(nil)
)

func newAssocConn(l *Listener, remote netip.AddrPort, p *path) *assocConn {
	return &assocConn{
		path:   p,
		l:      l,
		remote: remote,
		raddr:  net.UDPAddrFromAddrPort(remote),
		queue:  make(chan *[]byte, assocQueueLen),
		closed: make(chan struct{}),
	}
}

// deliver queues a copy of datagram for Read, or drops it if the queue is
// full. It never blocks, so one slow association cannot stall the others.
func (a *assocConn) deliver(datagram []byte) bool {
	b := copyDatagram(datagram)
	select {
	case a.queue <- b:
		return true
	default:
		releaseDatagram(b)
		a.dropped.Add(1)
		return false
	}
}

// Read returns the next datagram from the association's queue. A datagram
// longer than b is truncated, as a UDP socket would truncate it. When the
// path MTU has gone down since the last Read (the listener's reader
// validated an ICMP message about this association), Read returns an error
// wrapping dtls.ErrMessageTooLong instead, so that the engine re-sends its
// flight at the new size at once.
func (a *assocConn) Read(b []byte) (int, error) {
	a.readBegin()
	defer a.readEnd()
	if isClosed(a.closed) {
		return 0, a.opError("read", net.ErrClosed)
	}
	expired, passed := a.readDeadline.Wait()
	if passed {
		return 0, a.opError("read", os.ErrDeadlineExceeded)
	}
	if a.takeShrunk() {
		return 0, a.opError("read", errPathShrunk)
	}
	select {
	case d := <-a.queue:
		n := copy(b, *d)
		releaseDatagram(d)
		return n, nil
	case <-a.shrunk:
		return 0, a.opError("read", errPathShrunk)
	case <-a.closed:
		return 0, a.opError("read", net.ErrClosed)
	case <-expired:
		return 0, a.opError("read", os.ErrDeadlineExceeded)
	}
}

// Write sends b as one datagram to the remote address through the shared
// socket. UDP sends do not wait for the peer, so the write deadline is only
// checked before sending.
func (a *assocConn) Write(b []byte) (int, error) {
	if isClosed(a.closed) {
		return 0, a.opError("write", net.ErrClosed)
	}
	if _, passed := a.writeDeadline.Wait(); passed {
		return 0, a.opError("write", os.ErrDeadlineExceeded)
	}
	return a.send(b, a.writeSocket, a.l.drain)
}

func (a *assocConn) writeSocket(b []byte) (int, error) {
	return a.l.conn.WriteToUDPAddrPort(b, a.remote)
}

// Close ends the association: it leaves the listener's demultiplexing table,
// so that a later datagram from the same address is treated as a new peer,
// and blocked Reads return net.ErrClosed.
func (a *assocConn) Close() error {
	err := a.opError("close", net.ErrClosed)
	a.closeOnce.Do(func() {
		err = nil
		a.stopProbing()
		close(a.closed)
		a.readDeadline.Stop()
		a.writeDeadline.Stop()
		a.l.remove(a)
	})
	return err
}

// closeDTLS closes the association's DTLS Conn, which sends close_notify if
// its handshake completed and then closes a.
func (a *assocConn) closeDTLS() {
	if err := a.dtls.Close(); err != nil {
		// Already closed by the application, or never got that far.
		_ = a.Close()
	}
}

// LocalAddr returns the listener's address.
func (a *assocConn) LocalAddr() net.Addr { return a.l.conn.LocalAddr() }

// RemoteAddr returns the peer's address, a *net.UDPAddr.
func (a *assocConn) RemoteAddr() net.Addr { return a.raddr }

// SetDeadline sets the read and write deadlines.
func (a *assocConn) SetDeadline(t time.Time) error {
	a.readDeadline.Set(t)
	a.writeDeadline.Set(t)
	return nil
}

// SetReadDeadline sets the deadline for Read; the DTLS engine uses it as its
// retransmission timer.
func (a *assocConn) SetReadDeadline(t time.Time) error {
	a.readDeadline.Set(t)
	return nil
}

// SetWriteDeadline sets the deadline for Write.
func (a *assocConn) SetWriteDeadline(t time.Time) error {
	a.writeDeadline.Set(t)
	return nil
}

func (a *assocConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: a.LocalAddr(), Addr: a.raddr, Err: err}
}

// isClosed reports whether c is closed, without blocking.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
