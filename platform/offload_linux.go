//go:build linux

package platform

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// probeOffload reports whether the kernel has UDP segmentation offload
// (the socket option UDP_SEGMENT can be read) and receive coalescing (the
// option UDP_GRO can be set, here to its default, off). It changes
// nothing on the socket.
func probeOffload(fd uintptr) (gso, gro bool) {
	_, err := unix.GetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT)
	gso = err == nil
	gro = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, 0) == nil
	return gso, gro
}

// SetGRO turns receive coalescing (UDP_GRO) on or off on the socket c. With
// it on, a read may return several datagrams from one peer in one buffer,
// with their segment size in a control message: the reader must give room
// for 64 KiB and split what it reads. Datagrams already coalesced stay so
// after it is turned off.
func SetGRO(c syscall.RawConn, on bool) error {
	v := 0
	if on {
		v = 1
	}
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, v)
	}); cerr != nil {
		return fmt.Errorf("dtls: platform: %w", cerr)
	}
	if err != nil {
		return sockoptError("setsockopt", "UDP_GRO", err)
	}
	return nil
}
