package dtls

import (
	"errors"
	"io"
	"net"
	"sync"
)

// maxReadErrors bounds the read errors in a row, with no datagram between
// them, that a netLink survives: one error is a pending ICMP message (a port
// unreachable while the peer starts up), many are a socket that no longer
// works.
const maxReadErrors = 16

// A netLink is the Link of a Conn made by Client or Server: it writes to a
// net.Conn that carries whole datagrams, and a goroutine of its own reads it
// and passes what it reads to the Conn, from the start of the handshake
// until Close.
type netLink struct {
	conn net.Conn
	path Path
	c    *Conn

	startOnce sync.Once
	done      chan struct{} // closed when the reader returns; nil if it never started
}

var _ Link = (*netLink)(nil)

func (l *netLink) MaxDatagramSize() int    { return l.path.MaxDatagramSize() }
func (l *netLink) FlightLost(size int)     { l.path.FlightLost(size) }
func (l *netLink) FlightAnswered(size int) { l.path.FlightAnswered(size) }
func (l *netLink) HandshakeDone(error)     {}
func (l *netLink) Ended(error)             {}
func (l *netLink) LocalAddr() net.Addr     { return l.conn.LocalAddr() }
func (l *netLink) RemoteAddr() net.Addr    { return l.conn.RemoteAddr() }

func (l *netLink) WriteDatagram(b []byte, _ RecordID) error {
	_, err := l.conn.Write(b)
	return err
}

// start starts the reader.
func (l *netLink) start() {
	l.startOnce.Do(func() {
		l.done = make(chan struct{})
		go l.run()
	})
}

// Close closes the datagram connection, which ends the reader's Read, and
// waits for the reader to return.
func (l *netLink) Close() error {
	l.startOnce.Do(func() {}) // no reader may start after Close
	err := l.conn.Close()
	if l.done != nil {
		<-l.done
	}
	return err
}

// run reads datagrams and hands them to the Conn until the connection is
// closed or keeps failing.
func (l *netLink) run() {
	defer close(l.done)
	buf := make([]byte, maxDatagramSize)
	errs := 0
	for {
		n, err := l.conn.Read(buf)
		if err == nil {
			errs = 0
			l.c.HandleDatagram(buf[:n])
			continue
		}
		if l.c.closed.Load() || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
			l.c.readerFailed(io.EOF)
			return
		}
		if errors.Is(err, ErrMessageTooLong) {
			l.c.PathShrank()
			continue
		}
		if errs++; errs > maxReadErrors {
			l.c.readerFailed(err)
			return
		}
		l.c.noteNetworkError(err)
	}
}
