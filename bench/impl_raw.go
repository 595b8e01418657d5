package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// rawImpl is plain UDP: one socket each side, one datagram per Write and
// per Read, unbatched, no encryption. The server side is the listening
// socket itself, which answers whoever wrote to it last.
type rawImpl struct{}

func (rawImpl) name() string    { return "raw UDP" }
func (rawImpl) secure() bool    { return false }
func (rawImpl) version() uint16 { return 0 }

func (rawImpl) listen(suite) (net.Listener, error) {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	return &rawListener{conn: &rawServerConn{UDPConn: pc}, done: make(chan struct{})}, nil
}

func (rawImpl) acceptsEstablished() bool { return true }

func (rawImpl) serverHandshake(context.Context, net.Conn) error { return nil }

// dial opens a connected socket to addr; there is no handshake.
func (rawImpl) dial(_ context.Context, addr net.Addr, _ suite) (net.Conn, error) {
	return net.DialUDP("udp4", nil, addr.(*net.UDPAddr))
}

func (rawImpl) negotiated(net.Conn) (version, suite uint16) { return 0, 0 }

func (rawImpl) awaitPayload(context.Context, net.Conn, int) error { return nil }

func (rawImpl) writeBurst(c net.Conn, burst [][]byte) (int, error) {
	return writeEach(c, burst)
}

func (rawImpl) libraryDrops(net.Conn) (uint64, bool) { return 0, false }

// A rawListener hands out its socket, as a rawServerConn, to the first
// Accept; later Accepts wait for Close.
type rawListener struct {
	conn     *rawServerConn
	given    atomic.Bool
	done     chan struct{}
	doneOnce sync.Once
}

// Accept returns the listening socket the first time, and an error once the
// listener is closed.
func (l *rawListener) Accept() (net.Conn, error) {
	if !l.given.Swap(true) {
		return l.conn, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

// Close closes the socket and ends a waiting Accept.
func (l *rawListener) Close() error {
	l.doneOnce.Do(func() { close(l.done) })
	return l.conn.Close()
}

// Addr returns the socket's address.
func (l *rawListener) Addr() net.Addr { return l.conn.LocalAddr() }

// A rawServerConn is an unconnected UDP socket as a net.Conn: Read takes a
// datagram from anyone, and Write sends to the sender of the last datagram
// read.
type rawServerConn struct {
	*net.UDPConn
	peer atomic.Pointer[netip.AddrPort]
}

// errNoPeer is the error of a rawServerConn's Write before any Read.
var errNoPeer = errors.New("bench: no datagram read yet, so no peer to write to")

// Read reads one datagram and remembers its sender.
func (c *rawServerConn) Read(b []byte) (int, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err == nil {
		if p := c.peer.Load(); p == nil || *p != from {
			peer := from // a copy, so that only a new peer costs an allocation
			c.peer.Store(&peer)
		}
	}
	return n, err
}

// Write sends b to the sender of the last datagram read.
func (c *rawServerConn) Write(b []byte) (int, error) {
	p := c.peer.Load()
	if p == nil {
		return 0, errNoPeer
	}
	return c.WriteToUDPAddrPort(b, *p)
}
