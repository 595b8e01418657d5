//go:build !linux

package sock

import "net/netip"

// A batcher holds the state of batched I/O, which this system does not
// have: its udpConn is no BatchConn, and the Socket sends and reads one
// datagram per system call.
type batcher struct{}

// initBatch has nothing to set up.
func (u *udpConn) initBatch() { u.batch = batcher{} }

// readOne reads one datagram.
func (u *udpConn) readOne(b []byte) (int, netip.AddrPort, error) {
	return u.readPlain(b)
}
