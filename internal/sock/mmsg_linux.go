//go:build linux

package sock

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchMax is the most message headers, and datagrams, of one recvmmsg or
// sendmmsg call.
const batchMax = 64

// oobSize is the room for control messages of each message header: a
// UDP_SEGMENT message (sent) or a UDP_GRO message (received), with room to
// spare.
const oobSize = 64

// An mmsg is the scratch space of one recvmmsg or sendmmsg call (Linux
// 2.6.33 and 3.0): the message headers, their iovecs, socket addresses and
// control messages. It is taken from mmsgPool for a call and put back, so
// that a batch allocates nothing once the pool holds one per concurrent
// caller. It holds no pointer to the caller's buffers between calls.
type mmsg struct {
	hdrs  [batchMax]unix.Mmsghdr
	iovs  [batchMax]unix.Iovec
	names [batchMax]unix.RawSockaddrInet6
	oob   [batchMax * oobSize]byte
	count [batchMax]int // datagrams of each header sent
	nh    int           // headers in use
	niov  int           // iovecs in use

	// The outcome of the system call, and the functions given to
	// RawConn.Read and Write, bound once to the mmsg.
	n              int
	errno          syscall.Errno
	recvFn, sendFn func(fd uintptr) bool
}

// mmsgPool holds the mmsgs not in use.
var mmsgPool = sync.Pool{New: func() any {
	m := new(mmsg)
	m.recvFn, m.sendFn = m.recv, m.send
	return m
}}

// getMmsg returns an mmsg with no header in use.
func getMmsg() *mmsg {
	m := mmsgPool.Get().(*mmsg)
	m.nh, m.niov = 0, 0
	return m
}

// putMmsg forgets the buffers m pointed to and puts it back in the pool.
func putMmsg(m *mmsg) {
	for i := range m.niov {
		m.iovs[i].Base = nil
	}
	mmsgPool.Put(m)
}

// recv runs recvmmsg on the headers in use; it returns false to have the
// runtime wait until the socket is readable.
func (m *mmsg) recv(fd uintptr) bool {
	return m.call(unix.SYS_RECVMMSG, fd)
}

// send runs sendmmsg on the headers in use; it returns false to have the
// runtime wait until the socket is writable.
func (m *mmsg) send(fd uintptr) bool {
	return m.call(unix.SYS_SENDMMSG, fd)
}

// call runs the system call trap, recvmmsg or sendmmsg, with no flags and
// no timeout, and records its outcome; it returns false on EAGAIN.
func (m *mmsg) call(trap, fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(trap, fd, uintptr(unsafe.Pointer(&m.hdrs[0])), uintptr(m.nh), 0, 0, 0)
		switch e {
		case 0:
			m.n, m.errno = int(r), 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		m.n, m.errno = 0, e
		return true
	}
}

// recvmmsg reads into the headers of m and returns how many it filled.
func (u *udpConn) recvmmsg(m *mmsg) (int, error) {
	if err := u.raw.Read(m.recvFn); err != nil {
		return 0, u.opError("read", err)
	}
	if m.errno != 0 {
		return 0, u.opError("read", os.NewSyscallError("recvmmsg", m.errno))
	}
	return m.n, nil
}

// sendmmsg sends the headers of m and returns how many went.
func (u *udpConn) sendmmsg(m *mmsg) (int, error) {
	if err := u.raw.Write(m.sendFn); err != nil {
		return 0, u.opError("write", err)
	}
	if m.errno != 0 {
		return 0, u.opError("write", os.NewSyscallError("sendmmsg", m.errno))
	}
	return m.n, nil
}

// opError wraps err as package net wraps the errors of the operation op
// on the socket.
func (u *udpConn) opError(op string, err error) error {
	e := &net.OpError{Op: op, Net: "udp", Source: u.c.LocalAddr(), Err: err}
	if u.peer.IsValid() {
		e.Addr = u.c.RemoteAddr()
	}
	return e
}

// setIov points iov at b.
func setIov(iov *unix.Iovec, b []byte) {
	iov.Base = nil
	if len(b) > 0 {
		iov.Base = &b[0]
	}
	iov.SetLen(len(b))
}

// setRecv sets header i of m to read into b, with room for a socket
// address and, if oob, control messages.
func (m *mmsg) setRecv(i int, b []byte, oob bool) {
	h := &m.hdrs[i]
	*h = unix.Mmsghdr{}
	setIov(&m.iovs[i], b)
	h.Hdr.Iov = &m.iovs[i]
	h.Hdr.SetIovlen(1)
	h.Hdr.Name = (*byte)(unsafe.Pointer(&m.names[i]))
	h.Hdr.Namelen = unix.SizeofSockaddrInet6
	if oob {
		h.Hdr.Control = &m.oob[i*oobSize]
		h.Hdr.SetControllen(oobSize)
	}
}

// control returns the control messages received with header i.
func (m *mmsg) control(i int) []byte {
	n := int(m.hdrs[i].Hdr.Controllen)
	return m.oob[i*oobSize:][:min(max(n, 0), oobSize)]
}

// putName writes the socket address of to, for a socket of the IPv6
// family if v6 (an IPv4 destination mapped), into sa and returns its
// length. to has no zone.
func putName(sa *unix.RawSockaddrInet6, to netip.AddrPort, v6 bool) uint32 {
	if v6 {
		*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: to.Addr().As16()}
		putPort(&sa.Port, to.Port())
		return unix.SizeofSockaddrInet6
	}
	sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
	*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: to.Addr().As4()}
	putPort(&sa4.Port, to.Port())
	return unix.SizeofSockaddrInet4
}

// putPort stores port in network byte order.
func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// getPort loads a port stored in network byte order.
func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// nameOf returns the address, unmapped, that the kernel wrote into sa: a
// sockaddr_in6 or a sockaddr_in. A link-local address gets the name of its
// interface as zone, as package net names it.
func nameOf(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET6:
		a := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.Scope_id != 0 && a.Is6() {
			a = a.WithZone(zones.name(sa.Scope_id))
		}
		return netip.AddrPortFrom(a, getPort(&sa.Port))
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port))
	}
	return netip.AddrPort{}
}

// zones names the interfaces of link-local addresses read in batches.
var zones zoneCache

// zoneTTL is how long a zoneCache trusts a name: an interface may be
// renamed, or its index reused.
const zoneTTL = time.Minute

// A zoneCache maps interface indexes to names, so that a batch read from a
// link-local peer does not ask the system each time. It is safe for
// concurrent use.
type zoneCache struct {
	mu    sync.Mutex
	names map[uint32]zoneName
}

// A zoneName is an interface's name and when it was read.
type zoneName struct {
	name string
	at   time.Time
}

// name returns the name of the interface of index idx, or the index in
// decimal if it has none.
func (z *zoneCache) name(idx uint32) string {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := time.Now()
	if e, ok := z.names[idx]; ok && now.Sub(e.at) < zoneTTL {
		return e.name
	}
	s := strconv.FormatUint(uint64(idx), 10)
	if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
		s = ifi.Name
	}
	if z.names == nil || len(z.names) >= 64 {
		z.names = make(map[uint32]zoneName)
	}
	z.names[idx] = zoneName{name: s, at: now}
	return s
}
