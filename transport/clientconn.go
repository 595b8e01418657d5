package transport

import (
	"errors"
	"net"
	"net/netip"
	"syscall"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
)

// A clientConn is the datagram connection of a client association: a
// connected UDP socket and the state of its one path. Its Read drains the
// socket's error queue when a read reports an ICMP error, and its Write
// records what it sends so that ICMP messages can be validated. It starts
// no goroutines.
type clientConn struct {
	*net.UDPConn
	*path
	raw   syscall.RawConn
	local netip.AddrPort
	caps  platform.Capabilities
	drain func()
}

var (
	_ net.Conn  = (*clientConn)(nil)
	_ dtls.Path = (*clientConn)(nil)
)

func newClientConn(uc *net.UDPConn, p *path, caps platform.Capabilities) (*clientConn, error) {
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	c := &clientConn{
		UDPConn: uc,
		path:    p,
		raw:     raw,
		local:   uc.LocalAddr().(*net.UDPAddr).AddrPort(),
		caps:    caps,
	}
	c.drain = drainer(raw, caps, c.queued)
	return c, nil
}

// queued hands an error-queue entry about the association's peer to the
// path; a connected socket hears only about its peer, but the entry says.
func (c *clientConn) queued(q platform.QueuedError) {
	if normalize(q.Dest) == c.remote {
		c.path.queued(q, c.local)
	}
}

// Read reads one datagram. When the path MTU went down since the last
// read, or a read fails with the pending error of an ICMP "fragmentation
// needed" or "Packet Too Big" that lowers it, Read returns an error
// wrapping dtls.ErrMessageTooLong so that the engine re-sends its flight at
// the new size at once. Other ICMP errors, such as a port unreachable, are
// returned once their queue entries are read, until the handshake is done;
// after it they are not: they are not authenticated, and the socket
// reports them ahead of the datagrams already queued, such as the peer's
// close_notify (RFC 8085 §5.2 asks applications to be robust to them). The engine reads only inside the
// application's Read or Handshake; the prober watches these reads.
func (c *clientConn) Read(b []byte) (int, error) {
	c.readBegin()
	defer c.readEnd()
	for {
		if c.takeShrunk() {
			return 0, c.opError("read", errPathShrunk)
		}
		n, err := c.UDPConn.Read(b)
		if err == nil || !platform.IsTransientReadError(err) {
			return n, err
		}
		c.drain()
		if !platform.IsMessageTooLong(err) && !c.established.Load() {
			return n, err
		}
	}
}

// Close stops the path's probing and closes the socket.
func (c *clientConn) Close() error {
	c.stopProbing()
	return c.UDPConn.Close()
}

// Write sends b as one datagram, as path.send describes.
func (c *clientConn) Write(b []byte) (int, error) {
	return c.send(b, c.UDPConn.Write, c.drain)
}

func (c *clientConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// errNotUDP is returned if the dialer gives something other than a UDP
// socket.
var errNotUDP = errors.New("dtls: dialed socket is not a UDP socket")
