package main

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// An impl is one of the implementations measured side by side: pion/dtls
// v3 and pathdtls in DTLS 1.2, pion/dtls v4 and pathdtls in DTLS 1.3, or
// raw UDP, which has no handshake and stands for what the socket alone can
// carry.
type impl interface {
	// name is the implementation's column in the table.
	name() string
	// secure reports whether the implementation runs DTLS; raw UDP takes
	// part only in the record phases.
	secure() bool
	// version is the only DTLS version the implementation offers and
	// accepts, 0 without DTLS.
	version() uint16
	// listen opens a server for s on the IPv4 loopback.
	listen(s suite) (net.Listener, error)
	// acceptsEstablished reports whether Accept returns associations whose
	// handshake completed; serverHandshake completes it otherwise.
	acceptsEstablished() bool
	// serverHandshake completes the handshake of an association that
	// Accept returned, for an implementation whose Accept returns before it.
	serverHandshake(ctx context.Context, c net.Conn) error
	// dial opens a new client socket to addr and completes a handshake
	// of s within ctx.
	dial(ctx context.Context, addr net.Addr, s suite) (net.Conn, error)
	// negotiated returns the DTLS version and the cipher suite c
	// negotiated, 0 and 0 without DTLS.
	negotiated(c net.Conn) (version, suite uint16)
	// awaitPayload waits until the client c can send records of size
	// bytes, for an implementation whose largest record follows the path.
	awaitPayload(ctx context.Context, c net.Conn, size int) error
	// writeBurst sends every message of burst on c, one record in one
	// datagram each, and returns how many were sent. The one-way phase
	// writes only through it.
	writeBurst(c net.Conn, burst [][]byte) (int, error)
	// libraryDrops returns how many records the server association c
	// received and dropped itself, and false when the implementation does
	// not count them.
	libraryDrops(c net.Conn) (uint64, bool)
}

// writeEach writes each message of burst on c with one Write, and returns
// how many were written; it goes on after an error the socket may recover
// from (the receiver's buffer was full), and returns the last error.
func writeEach(c net.Conn, burst [][]byte) (int, error) {
	n := 0
	var last error
	for _, b := range burst {
		if _, err := c.Write(b); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return n, err
			}
			last = err
			continue
		}
		n++
	}
	return n, last
}

// handshakeTimeout bounds every handshake of the benchmark, on either side.
const handshakeTimeout = 10 * time.Second

// A server accepts associations on a listener and runs a handler on each
// in a goroutine of its own, after completing the server side of the
// handshake where Accept has not. It keeps every association it has not
// closed, so that close can end them all.
type server struct {
	im     impl
	ln     net.Listener
	handle func(net.Conn)
	wg     sync.WaitGroup
	failed atomic.Int64 // server-side handshakes that returned an error
	held   atomic.Int64 // associations that completed their handshake and are open

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// startServer opens a server of im for s on the IPv4 loopback. Each
// association's handle runs once its handshake completed, and the
// association is closed when handle returns; a nil handle keeps every
// association open and idle until close.
func startServer(im impl, s suite, handle func(net.Conn)) (*server, error) {
	ln, err := im.listen(s)
	if err != nil {
		return nil, err
	}
	sv := &server{im: im, ln: ln, handle: handle, conns: make(map[net.Conn]struct{})}
	sv.wg.Go(sv.acceptLoop)
	return sv, nil
}

// connect dials sv with an ECDHE-ECDSA client of im, within ctx, and
// waits for the server's end of the association on ready, where sv's
// handler puts it.
func connect(ctx context.Context, im impl, sv *server, ready <-chan net.Conn) (client, server net.Conn, err error) {
	c, err := im.dial(ctx, sv.addr(), suiteECDSA)
	if err != nil {
		return nil, nil, err
	}
	select {
	case s := <-ready:
		return c, s, nil
	case <-ctx.Done():
		c.Close()
		return nil, nil, errors.New("the server did not accept the association")
	}
}

// addr returns the server's address.
func (sv *server) addr() net.Addr { return sv.ln.Addr() }

// acceptLoop accepts associations until the listener is closed.
func (sv *server) acceptLoop() {
	for {
		c, err := sv.ln.Accept()
		if err != nil {
			return
		}
		sv.mu.Lock()
		closed := sv.closed
		if !closed {
			sv.conns[c] = struct{}{}
		}
		sv.mu.Unlock()
		switch {
		case closed:
			c.Close()
			return
		case sv.handle == nil && sv.im.acceptsEstablished():
			// Nothing to run: hold the association without a goroutine
			// of the benchmark's, whose stack would count in the idle
			// phase's figures.
			sv.held.Add(1)
		default:
			sv.wg.Go(func() { sv.run(c) })
		}
	}
}

// run completes c's handshake and runs the handler on it.
func (sv *server) run(c net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err := sv.im.serverHandshake(ctx, c)
	cancel()
	if err != nil {
		sv.failed.Add(1)
		sv.drop(c)
		return
	}
	sv.held.Add(1)
	if sv.handle == nil {
		return
	}
	sv.handle(c)
	sv.held.Add(-1)
	sv.drop(c)
}

// drop closes c and forgets it.
func (sv *server) drop(c net.Conn) {
	sv.mu.Lock()
	delete(sv.conns, c)
	sv.mu.Unlock()
	c.Close()
}

// close closes the listener and every association, and waits for the
// server's goroutines.
func (sv *server) close() {
	sv.ln.Close()
	sv.mu.Lock()
	sv.closed = true
	conns := make([]net.Conn, 0, len(sv.conns))
	for c := range sv.conns {
		conns = append(conns, c)
	}
	sv.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	sv.wg.Wait()
}

// drain reads from c until an error, such as the end the peer's
// close_notify brings.
func drain(c net.Conn) {
	buf := make([]byte, 2048)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
