package sock

import (
	"io"
	"net/netip"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
)

// Conn is the operating-system socket a Socket runs over: one UDP socket,
// as a Linux socket with IP_RECVERR behaves. Implementations: the real one
// ([Listen], [Dial], [FromPacketConn] over a *net.UDPConn), a plain
// net.PacketConn adapter (no DF, no error queue), and memnet's.
//
// Every address a Conn takes or returns is unmapped: an IPv4 peer of a
// dual-stack socket is an IPv4 AddrPort, both ways.
type Conn interface {
	// ReadFrom reads one datagram. It may return a pending error (see
	// IsPending) instead.
	ReadFrom(b []byte) (n int, from netip.AddrPort, err error)
	// WriteTo sends one datagram to `to` (on a connected socket, `to`
	// must be its peer, or the zero AddrPort). It may return a pending
	// error about an earlier datagram, having sent nothing.
	WriteTo(b []byte, to netip.AddrPort) error
	// DrainErrors calls fn with each entry of the error queue until it is
	// empty; a Conn without an error queue returns nil at once.
	DrainErrors(fn func(platform.QueuedError)) error
	// RouteMTU returns the MTU (IP bytes) of the route to dst: the
	// initial estimate.
	RouteMTU(dst netip.Addr) (int, error)
	// LocalAddr returns the address the socket is bound to, which may be
	// unspecified.
	LocalAddr() netip.AddrPort
	// Capabilities reports what the operating system gave the socket:
	// DF, the error queue, dual stack.
	Capabilities() platform.Capabilities
	// Close closes the socket; a ReadFrom blocked in it returns.
	Close() error
}

// Connected is implemented by a Conn that can tell whether it is
// connected: RemoteAddr returns its peer, or the zero AddrPort for an
// unconnected socket. The Conns of this package and of memnet implement
// it.
type Connected interface {
	RemoteAddr() netip.AddrPort
}

// ICMPListener is implemented by a Conn whose ICMP errors a raw ICMP
// socket can hear where the socket itself has no error queue.
type ICMPListener interface {
	// ListenICMP starts delivering to fn, one at a time and from another
	// goroutine, each ICMP error message about a datagram the Conn sent,
	// not validated. It fails without the privilege raw sockets need.
	// Closing the returned Closer stops the deliveries and waits for a
	// call of fn in progress, so fn must not close it.
	ListenICMP(fn func(icmp.Event)) (io.Closer, error)
}

// unmapAP returns ap with an IPv4-mapped address unmapped.
func unmapAP(ap netip.AddrPort) netip.AddrPort {
	if !ap.Addr().Is4In6() {
		return ap
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// ReadBufferSetter is a Conn whose receive buffer can be enlarged.
type ReadBufferSetter interface {
	// SetReadBuffer asks for a receive buffer of bytes; the system may
	// give less.
	SetReadBuffer(bytes int) error
}
