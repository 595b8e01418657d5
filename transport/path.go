package transport

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/pathdtls/pathdtls/dtls"
)

// Header sizes between a link MTU and a UDP payload (RFC 791, RFC 8200,
// RFC 768), without IP options or IPv6 extension headers.
const (
	udpOverheadIPv4 = 20 + 8
	udpOverheadIPv6 = 40 + 8
)

// minDatagramSize is the smallest UDP payload a fixed MTU may leave; the
// dtls package refuses a Config.DatagramSize below it too.
const minDatagramSize = 64

// minMTU is the smallest MTU that leaves minDatagramSize bytes for both
// address families.
const minMTU = udpOverheadIPv6 + minDatagramSize

// checkMTU reports an MTU that cannot carry DTLS; zero means none is fixed.
func checkMTU(mtu int) error {
	if mtu != 0 && mtu < minMTU {
		return fmt.Errorf("dtls: MTU %d is below the minimum of %d", mtu, minMTU)
	}
	return nil
}

// datagramSize returns the UDP payload that fits in an MTU of mtu bytes on
// the way to remote.
func datagramSize(mtu int, remote netip.Addr) int {
	if remote.Unmap().Is4() {
		return mtu - udpOverheadIPv4
	}
	return mtu - udpOverheadIPv6
}

// fixedPathConn is a datagram connection whose path has a fixed datagram
// size, as a fixed MTU sets. Implementing dtls.Path makes the engine ask it
// instead of stepping down its own backoff ladder: the caller fixed the MTU,
// so neither timeouts nor "message too long" change it.
type fixedPathConn struct {
	net.Conn
	size int
}

var _ dtls.Path = (*fixedPathConn)(nil)

// MaxDatagramSize returns the fixed datagram size.
func (c *fixedPathConn) MaxDatagramSize() int { return c.size }

// HandshakeTimeout does nothing: the size is fixed.
func (c *fixedPathConn) HandshakeTimeout(size, timeouts int) {}

// MessageTooLong does nothing: the size is fixed.
func (c *fixedPathConn) MessageTooLong(size int) {}

// withMTU returns conn sized for a fixed MTU towards remote, or conn itself
// when mtu is zero.
func withMTU(conn net.Conn, mtu int, remote netip.Addr) net.Conn {
	if mtu == 0 {
		return conn
	}
	return &fixedPathConn{Conn: conn, size: datagramSize(mtu, remote)}
}
