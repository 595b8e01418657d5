// Package dgramtest provides an in-memory datagram link for tests: two connected
// ends that keep datagram boundaries, with per-direction loss, duplication,
// reordering, a size limit and latency.
//
// It uses only channels, sync and time.AfterFunc, so under testing/synctest the
// bubble's fake clock drives its delays and deadlines, and a link left idle or
// closed leaves no goroutine behind.
package dgramtest

import (
	"github.com/pathdtls/pathdtls/internal/deadline"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Conn is one end of a link made by Pipe. It implements net.Conn with datagram
// semantics: each Write sends one datagram and each Read returns one. It is safe
// for concurrent use.
type Conn struct {
	local, remote net.UDPAddr
	in            *link // from the peer; in.rx is this end's queue
	out           *link // to the peer
	peer          *Conn

	closeOnce sync.Once
	closed    chan struct{}
	rd, wd    *deadline.Deadline
}

var _ net.Conn = (*Conn)(nil)

// Pipe returns the two ends of a link; a→b uses ab, b→a uses ba. The ends have
// distinct addresses from the documentation range: a is 192.0.2.1:1000 and b is
// 192.0.2.2:2000.
func Pipe(ab, ba Impairment) (a, b *Conn) {
	lab, lba := newLink(ab), newLink(ba)
	addrA := net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1000}
	addrB := net.UDPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 2000}
	a = newConn(addrA, addrB, lba, lab)
	b = newConn(addrB, addrA, lab, lba)
	a.peer, b.peer = b, a
	return a, b
}

func newConn(local, remote net.UDPAddr, in, out *link) *Conn {
	return &Conn{
		local:  local,
		remote: remote,
		in:     in,
		out:    out,
		closed: make(chan struct{}),
		rd:     new(deadline.Deadline),
		wd:     new(deadline.Deadline),
	}
}

// Read reads one datagram into p. If p is shorter than the datagram, the rest of
// the datagram is discarded and Read returns len(p) and io.ErrShortBuffer.
//
// Read blocks until a datagram arrives, the read deadline passes (an error
// satisfying errors.Is(err, os.ErrDeadlineExceeded), whose Timeout method reports
// true), c is closed (net.ErrClosed), or the peer is closed and every datagram
// already delivered to c has been read (io.EOF).
func (c *Conn) Read(p []byte) (int, error) {
	for {
		if isClosed(c.closed) {
			return 0, c.opError("read", net.ErrClosed)
		}
		expired, passed := c.rd.Wait()
		if passed {
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		select {
		case d := <-c.in.rx:
			return readInto(p, d)
		default:
		}
		if isClosed(c.peer.closed) {
			return 0, io.EOF
		}
		select {
		case d := <-c.in.rx:
			return readInto(p, d)
		case <-c.closed:
		case <-c.peer.closed:
		case <-expired:
		}
	}
}

func readInto(p, d []byte) (int, error) {
	n := copy(p, d)
	if n < len(d) {
		return n, io.ErrShortBuffer
	}
	return n, nil
}

// Write sends p as one datagram, copying it. It returns len(p) even if the link
// drops the datagram, as a UDP socket would, including when the peer has been
// closed. It fails only if c is closed or the write deadline has passed.
func (c *Conn) Write(p []byte) (int, error) {
	if isClosed(c.closed) {
		return 0, c.opError("write", net.ErrClosed)
	}
	if _, passed := c.wd.Wait(); passed {
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	}
	c.out.send(p)
	return len(p), nil
}

// Close closes c. Reads blocked on c return net.ErrClosed; reads on the peer
// return the datagrams already delivered to it, then io.EOF. Datagrams still in
// flight in either direction are dropped, and the link's and c's deadline timers
// are stopped. Closing an already closed Conn returns an error wrapping
// net.ErrClosed.
func (c *Conn) Close() error {
	err := c.opError("close", net.ErrClosed)
	c.closeOnce.Do(func() {
		// The links stop first, so that a reader that sees c.closed knows that
		// nothing more will be delivered.
		c.out.close()
		c.in.close()
		close(c.closed)
		c.rd.Stop()
		c.wd.Stop()
		err = nil
	})
	return err
}

// LocalAddr returns the *net.UDPAddr of this end.
func (c *Conn) LocalAddr() net.Addr {
	a := c.local
	return &a
}

// RemoteAddr returns the *net.UDPAddr of the peer.
func (c *Conn) RemoteAddr() net.Addr {
	a := c.remote
	return &a
}

// SetDeadline sets both the read and the write deadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the time after which Read fails; the zero Time clears it.
// It also affects a Read that is already blocked.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set", net.ErrClosed)
	}
	c.rd.Set(t)
	return nil
}

// SetWriteDeadline sets the time after which Write fails; the zero Time clears
// it. Write never blocks, so the deadline only matters once it has passed.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set", net.ErrClosed)
	}
	c.wd.Set(t)
	return nil
}

// Stats returns the counters of the direction from c to its peer.
func (c *Conn) Stats() Stats {
	return c.out.snapshot()
}

// SetImpairment replaces the impairment of the direction from c to its peer, for
// example to lower MaxSize in the middle of a test. Datagrams already in flight
// keep their arrival times; the random stream restarts from imp.Seed.
func (c *Conn) SetImpairment(imp Impairment) {
	c.out.setImpairment(imp)
}

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "dgramtest", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
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
