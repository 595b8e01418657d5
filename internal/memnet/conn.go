package memnet

import (
	"net"
	"net/netip"
	"os"
	"syscall"

	"github.com/pathdtls/pathdtls/platform"
)

// entryOverhead is what each datagram and error-queue entry costs in a
// receive buffer besides its bytes, standing for the kernel's accounting
// of the buffers that hold it.
const entryOverhead = 256

// maxPayload is the largest UDP payload: the length field of the UDP
// header counts 65535 bytes with itself (RFC 768).
const maxPayload = 65535 - 8

// A Conn is a UDP socket of a Host, as a Linux socket with IP_RECVERR
// (unless the host has NoErrorQueue) and IP_PMTUDISC_PROBE behaves. It
// implements the Conn of package internal/sock, and its Connected and
// ICMPListener. Its methods may be called concurrently.
type Conn struct {
	net   *Network
	host  *Host
	local netip.AddrPort // bound address; :: is dual-stack
	peer  netip.AddrPort // the zero AddrPort unless connected

	// The fields below are guarded by net.mu.
	queue    []packet
	errq     []platform.QueuedError
	used     int // receive buffer bytes in use, by queue and errq
	rcvbuf   int
	pending  syscall.Errno
	closed   bool
	raws     []*rawListener
	stats    ConnStats
	wake     chan struct{} // a reader may find something: capacity 1
	done     chan struct{} // closed by Close
	noErrQ   bool
	rawAllow bool
}

// ConnStats counts what happened to a Conn.
type ConnStats struct {
	Sent     uint64 // datagrams WriteTo and WriteBatch sent
	Received uint64 // datagrams ReadFrom and ReadBatch returned

	ReadBatches  uint64 // ReadBatch calls that returned datagrams
	WriteBatches uint64 // WriteBatch calls

	RecvDropped  uint64 // datagrams dropped: receive buffer full
	LocalRefused uint64 // sends refused: larger than the route's MTU

	ErrQueued        uint64 // error-queue entries queued
	ErrQueueDropped  uint64 // error-queue entries dropped: receive buffer full
	ErrDrained       uint64 // error-queue entries read by DrainErrors
	PendingSet       uint64 // pending errors set
	PendingReturned  uint64 // pending errors returned by ReadFrom or WriteTo
	RawICMPDelivered uint64 // events handed to raw ICMP listeners
}

// A packet is a datagram on its way or in a receive queue.
type packet struct {
	src, dst netip.AddrPort
	payload  []byte
}

func newConn(h *Host, local, peer netip.AddrPort) *Conn {
	return &Conn{
		net:      h.net,
		host:     h,
		local:    local,
		peer:     peer,
		rcvbuf:   h.cfg.RecvBuffer,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		noErrQ:   h.cfg.NoErrorQueue,
		rawAllow: h.cfg.RawICMP,
	}
}

// accepts reports whether the socket's local address covers a: the same
// address, or a wildcard of its family (:: is dual-stack).
func (c *Conn) accepts(a netip.Addr) bool {
	switch l := c.local.Addr(); {
	case l == a:
		return true
	case l == netip.IPv6Unspecified():
		return true
	case l == netip.IPv4Unspecified():
		return a.Is4()
	}
	return false
}

// ReadFrom implements sock.Conn: it returns the pending error, if any, and
// otherwise the next datagram, waiting for one. A datagram longer than b
// is truncated, as recvfrom does.
func (c *Conn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	var src netip.AddrPort
	n := 0
	err := c.receive(func(q *[]packet) int {
		p := (*q)[0]
		n, src = copy(b, p.payload), p.src
		return 1
	})
	return n, src, err
}

// receive waits until the socket is closed, has a pending error or has a
// datagram, and then returns the error, or calls take, under the network's
// lock, with the receive queue, which is not empty, to copy out the first
// datagrams; take returns how many it took, which receive removes.
func (c *Conn) receive(take func(q *[]packet) int) error {
	n := c.net
	for {
		n.mu.Lock()
		switch {
		case c.closed:
			n.mu.Unlock()
			return c.opError("read", netip.AddrPort{}, net.ErrClosed)
		case c.pending != 0:
			errno := c.takePendingLocked()
			n.mu.Unlock()
			return c.opError("read", netip.AddrPort{}, os.NewSyscallError("recvfrom", errno))
		case len(c.queue) > 0:
			k := take(&c.queue)
			for i := range k {
				c.used -= len(c.queue[i].payload) + entryOverhead
				c.queue[i] = packet{}
			}
			c.queue = c.queue[k:]
			c.stats.Received += uint64(k)
			if len(c.queue) > 0 {
				c.signalLocked()
			}
			n.mu.Unlock()
			return nil
		}
		n.mu.Unlock()
		select {
		case <-c.wake:
		case <-c.done:
		}
	}
}

// WriteTo implements sock.Conn. It returns the pending error, if any,
// sending nothing; EMSGSIZE, with an error-queue entry of origin LOCAL, for
// a datagram larger than the route's MTU; and otherwise sends b along the
// path to `to`. On a connected socket, `to` must be the peer or the zero
// AddrPort.
func (c *Conn) WriteTo(b []byte, to netip.AddrPort) error {
	n := c.net
	n.mu.Lock()
	pkt, p, err := c.prepareLocked(b, to)
	if err != nil || p == nil {
		n.mu.Unlock()
		return err
	}
	d := Datagram{From: pkt.src, To: pkt.dst, Payload: pkt.payload, Seq: p.seq}
	drop := p.cfg.Drop
	n.mu.Unlock()
	if drop != nil && drop(d) {
		n.mu.Lock()
		p.stats.Dropped++
		n.mu.Unlock()
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.transmitLocked(p, pkt)
	}
	return nil
}

// sendError wraps errno as package net does for a send to `to`: the
// system call is write on a connected socket, sendto otherwise.
func (c *Conn) sendError(to netip.AddrPort, errno syscall.Errno) error {
	name := "sendto"
	if c.peer.IsValid() {
		name = "write"
	}
	return c.opError("write", to, os.NewSyscallError(name, errno))
}

// prepareLocked does the socket's part of a send: it checks the socket,
// the size and the pending error, in Linux's order, and returns the
// datagram and its path.
func (c *Conn) prepareLocked(b []byte, to netip.AddrPort) (packet, *path, error) {
	to = unmapAP(to)
	if c.peer.IsValid() {
		if to.IsValid() && to != c.peer {
			return packet{}, nil, c.opError("write", to, net.ErrWriteToConnected)
		}
		to = c.peer
	}
	switch {
	case c.closed:
		return packet{}, nil, c.opError("write", to, net.ErrClosed)
	case !to.Addr().IsValid() || to.Port() == 0:
		return packet{}, nil, c.sendError(to, syscall.EINVAL)
	}
	src, ok := c.sourceLocked(to.Addr())
	if !ok {
		return packet{}, nil, c.sendError(to, syscall.EAFNOSUPPORT)
	}
	if len(b) > maxPayload {
		return packet{}, nil, c.sendError(to, EMsgSize)
	}
	if mtu := c.host.routeMTULocked(to.Addr()); len(b)+overhead(to.Addr()) > mtu {
		c.refuseLocked(to, mtu)
		return packet{}, nil, c.sendError(to, EMsgSize)
	}
	if c.pending != 0 {
		// The kernel checks the size first, then the pending error, when
		// it allocates the datagram's buffer.
		return packet{}, nil, c.sendError(to, c.takePendingLocked())
	}
	p := c.net.pathLocked(src.Addr(), to.Addr())
	p.seq++
	p.stats.Sent++
	c.stats.Sent++
	return packet{src: src, dst: to, payload: append([]byte(nil), b...)}, p, nil
}

// sourceLocked returns the source address and port of a datagram to dst.
func (c *Conn) sourceLocked(dst netip.Addr) (netip.AddrPort, bool) {
	l := c.local.Addr()
	switch {
	case l == netip.IPv6Unspecified() || l == netip.IPv4Unspecified() && dst.Is4():
		a, ok := c.host.sourceLocked(dst)
		return netip.AddrPortFrom(a, c.local.Port()), ok
	case l.Is4() != dst.Is4():
		return netip.AddrPort{}, false
	}
	return c.local, true
}

// refuseLocked records the local refusal of a datagram to dest above mtu:
// an error-queue entry of origin LOCAL, which, as Linux's, sets no pending
// error, and names, for IPv4, the socket's connected port, 0 on an
// unconnected socket, as Linux 6.18 does.
func (c *Conn) refuseLocked(dest netip.AddrPort, mtu int) {
	c.stats.LocalRefused++
	if c.noErrQ {
		return
	}
	if dest.Addr().Is4() {
		dest = netip.AddrPortFrom(dest.Addr(), c.peer.Port())
	}
	c.queueErrLocked(platform.QueuedError{Errno: EMsgSize, Origin: platform.OriginLocal, Info: uint32(mtu), Dest: dest})
}

// DrainErrors implements sock.Conn. As Linux does, reading an ICMP entry
// with no ICMP entry behind it clears the pending error. On a host without
// an error queue it returns nil at once.
func (c *Conn) DrainErrors(fn func(platform.QueuedError)) error {
	if c.noErrQ {
		return nil
	}
	n := c.net
	n.mu.Lock()
	if c.closed {
		n.mu.Unlock()
		return c.opError("read", netip.AddrPort{}, net.ErrClosed)
	}
	entries := c.errq
	c.errq = nil
	for _, q := range entries {
		c.used -= len(q.Payload) + entryOverhead
		if isICMP(q) {
			c.pending = 0
		}
	}
	c.stats.ErrDrained += uint64(len(entries))
	n.mu.Unlock()
	for _, q := range entries {
		fn(q)
	}
	return nil
}

// isICMP reports whether q comes from an ICMP message.
func isICMP(q platform.QueuedError) bool {
	return q.Origin == platform.OriginICMP || q.Origin == platform.OriginICMP6
}

// RouteMTU implements sock.Conn: the MTU of the host's route to dst.
func (c *Conn) RouteMTU(dst netip.Addr) (int, error) {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.host.routeMTULocked(dst), nil
}

// LocalAddr implements sock.Conn.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// RemoteAddr implements sock.Connected.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.peer }

// Capabilities implements sock.Conn: DF in probe mode, and the error queue
// unless the host has none.
func (c *Conn) Capabilities() platform.Capabilities {
	dual := c.local.Addr() == netip.IPv6Unspecified()
	return platform.Capabilities{
		IPv6:        c.local.Addr().Is6(),
		DualStack:   dual,
		DF:          true,
		DFMode:      platform.DFProbe,
		DualStackDF: dual,
		RecvErr:     !c.noErrQ,
	}
}

// Close implements sock.Conn: a ReadFrom blocked in it returns, and
// datagrams to its address find nothing listening.
func (c *Conn) Close() error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.closed {
		return c.opError("close", netip.AddrPort{}, net.ErrClosed)
	}
	c.closeLocked()
	c.host.unbindLocked(c)
	return nil
}

// closeLocked marks the socket closed and wakes its readers.
func (c *Conn) closeLocked() {
	if c.closed {
		return
	}
	c.closed = true
	c.queue, c.errq, c.used = nil, nil, 0
	close(c.done)
}

// SetReadBuffer sets the size in bytes of the socket's receive buffer,
// as a privileged process may on Linux (sock.ReadBufferSetter).
func (c *Conn) SetReadBuffer(bytes int) error {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	c.rcvbuf = max(bytes, 0)
	return nil
}

// Stats returns the socket's counts so far.
func (c *Conn) Stats() ConnStats {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.stats
}

// InjectError queues q on the socket as if the kernel had: on the error
// queue, where a pending error follows for an ICMP origin, as Linux sets
// it; on a host without an error queue, as the pending error only. Its
// addresses are unmapped and its payload copied.
func (c *Conn) InjectError(q platform.QueuedError) {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if c.closed {
		return
	}
	q.Dest = unmapAP(q.Dest)
	q.Offender = q.Offender.Unmap()
	q.Payload = append([]byte(nil), q.Payload...)
	if !c.noErrQ {
		c.queueErrLocked(q)
		if !isICMP(q) {
			return
		}
	}
	c.setPendingLocked(q.Errno)
}

// queueErrLocked puts q on the error queue, if the receive buffer has room.
func (c *Conn) queueErrLocked(q platform.QueuedError) {
	cost := len(q.Payload) + entryOverhead
	if c.used+cost > c.rcvbuf {
		c.stats.ErrQueueDropped++
		return
	}
	c.used += cost
	c.errq = append(c.errq, q)
	c.stats.ErrQueued++
}

// setPendingLocked sets the socket's pending error and wakes a reader.
func (c *Conn) setPendingLocked(errno syscall.Errno) {
	c.pending = errno
	c.stats.PendingSet++
	c.signalLocked()
}

// takePendingLocked returns and clears the pending error.
func (c *Conn) takePendingLocked() syscall.Errno {
	errno := c.pending
	c.pending = 0
	c.stats.PendingReturned++
	return errno
}

// enqueueLocked puts a datagram that arrived on the receive queue, or
// drops it if the buffer is full. It reports whether it was queued.
func (c *Conn) enqueueLocked(p packet) bool {
	cost := len(p.payload) + entryOverhead
	if c.used+cost > c.rcvbuf {
		c.stats.RecvDropped++
		return false
	}
	c.used += cost
	c.queue = append(c.queue, p)
	c.signalLocked()
	return true
}

// signalLocked wakes one reader, if one waits.
func (c *Conn) signalLocked() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// opError wraps err as package net does for the operation op on the
// socket, with the remote address to if it is valid.
func (c *Conn) opError(op string, to netip.AddrPort, err error) error {
	e := &net.OpError{Op: op, Net: "udp", Source: net.UDPAddrFromAddrPort(c.local), Err: err}
	if to.IsValid() {
		e.Addr = net.UDPAddrFromAddrPort(to)
	} else if c.peer.IsValid() {
		e.Addr = net.UDPAddrFromAddrPort(c.peer)
	}
	return e
}

// opError returns the error of a failed Listen or Dial.
func opError(op, syscallName string, local, remote netip.AddrPort, errno syscall.Errno) error {
	e := &net.OpError{Op: op, Net: "udp", Err: os.NewSyscallError(syscallName, errno)}
	if local.IsValid() {
		e.Source = net.UDPAddrFromAddrPort(local)
	}
	if remote.IsValid() {
		e.Addr = net.UDPAddrFromAddrPort(remote)
	}
	return e
}

// unmapAP returns ap with an IPv4-mapped address unmapped and without a
// zone, which the network has no use for.
func unmapAP(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
}

// overhead returns the bytes of IP and UDP header of a datagram to dst.
func overhead(dst netip.Addr) int {
	if dst.Is4() {
		return 20 + 8
	}
	return 40 + 8
}
