//go:build linux

package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// Sizes of a routeSocket's work.
const (
	// routeReplyMax is the largest reply a routeSocket reads: a route
	// takes about a hundred bytes, and one interface without its counters
	// about a kilobyte (1100 for a loopback on Linux 6.18). A longer reply
	// reads as malformed.
	routeReplyMax = 16 << 10
	// routeStaleMax bounds the datagrams a request reads past before its
	// reply, and those a recovery discards.
	routeStaleMax = 1024
)

// An nsID identifies a network namespace by the device and inode of its
// file under /proc (namespaces(7)); the zero nsID stands for one that
// could not be identified.
type nsID struct {
	dev, ino uint64
}

// A routeSocket is an rtnetlink socket (rtnetlink(7)) shared by the
// RouteReaders of one network namespace: a socket answers about the
// namespace it was created in, whichever thread uses it later. It is safe
// for concurrent use; one request and its reply at a time.
type routeSocket struct {
	ns   nsID // the zero nsID if unknown: then the socket is not shared
	refs int  // the RouteReaders holding it, guarded by routeSockets.mu

	mu     sync.Mutex
	fd     int    // -1 if there is none
	closed bool   // released by its last RouteReader
	port   uint32 // the socket's netlink port ID, in the kernel's replies
	seq    uint32 // the number of the last request
	req    []byte // the request being sent
	buf    []byte // the reply being read
}

// routeSockets is the process's registry of shared routeSockets, by
// namespace. An entry lives while some RouteReader holds it; its open
// socket keeps the namespace, and so the nsID, from being reused.
var routeSockets = struct {
	mu sync.Mutex
	m  map[nsID]*routeSocket
}{m: make(map[nsID]*routeSocket)}

// acquireRouteSocket returns the routeSocket of the calling thread's
// network namespace, opening it if the namespace has none yet. If the
// namespace cannot be identified, the socket is the caller's alone. A
// socket that cannot be opened is returned without one (fd -1); a lookup
// from a thread in its namespace tries again.
func acquireRouteSocket() *routeSocket {
	// The namespace and the socket must be the same thread's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, known := threadNetns()
	routeSockets.mu.Lock()
	defer routeSockets.mu.Unlock()
	if s := routeSockets.m[id]; known && s != nil {
		s.refs++
		return s
	}
	s := &routeSocket{fd: -1, refs: 1, buf: make([]byte, routeReplyMax)}
	_ = s.openLocked() // a failure shows as fd -1
	if known {
		s.ns = id
		routeSockets.m[id] = s
	}
	return s
}

// release gives up one RouteReader's hold on s, closing it with the last.
func (s *routeSocket) release() {
	routeSockets.mu.Lock()
	s.refs--
	last := s.refs == 0
	if last && s.ns != (nsID{}) && routeSockets.m[s.ns] == s {
		delete(routeSockets.m, s.ns)
	}
	routeSockets.mu.Unlock()
	if !last {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

// threadNetns identifies the network namespace of the calling thread,
// which the caller has locked to its goroutine. known is false if /proc
// cannot tell.
func threadNetns() (id nsID, known bool) {
	var st unix.Stat_t
	err := unix.Stat("/proc/thread-self/ns/net", &st)
	if err != nil {
		// Linux before 3.17 has no /proc/thread-self.
		err = unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), &st)
	}
	if err != nil {
		return nsID{}, false
	}
	return nsID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}

// openLocked opens a new socket in the calling thread's namespace and, if
// that works, closes the old one. The socket is connected to the kernel,
// so that no other process can send it a forged reply, and does not
// block: the kernel answers a route or link request while handling the
// send, so the reply is queued when the send returns.
func (s *routeSocket) openLocked() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	// Best effort: error replies without a copy of the request are shorter.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	var sa unix.Sockaddr
	if err = unix.Connect(fd, kernel); err != nil {
		err = os.NewSyscallError("connect", err)
	} else if sa, err = unix.Getsockname(fd); err != nil {
		err = os.NewSyscallError("getsockname", err)
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if err == nil && !ok {
		err = errors.New("dtls: platform: the netlink socket has no netlink address")
	}
	if err != nil {
		unix.Close(fd)
		return err
	}
	if s.fd >= 0 {
		unix.Close(s.fd)
	}
	s.fd, s.port = fd, nl.Pid
	return nil
}

// A brokenError is a failure of the socket rather than an answer: the
// request or its reply was lost, or the reply did not parse. It is always
// wrapped in an error that says what was asked.
type brokenError struct {
	op  string
	err error
}

func (e *brokenError) Error() string { return "netlink " + e.op + ": " + e.err.Error() }
func (e *brokenError) Unwrap() error { return e.err }

// routeMTU returns the MTU of the route to dst, an unmapped address: the
// route's MTU metric or else the MTU of its output interface. After a
// failure of the socket it recovers the socket and tries once more. It
// returns errNoRouteSocket if there is no socket to ask.
func (s *routeSocket) routeMTU(dst netip.Addr) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("dtls: platform: route MTU: %w", net.ErrClosed)
	}
	if s.fd < 0 && !s.reopenLocked() {
		return 0, errNoRouteSocket
	}
	mtu, err := s.lookupLocked(dst)
	if _, broken := errors.AsType[*brokenError](err); broken && s.recoverLocked() {
		mtu, err = s.lookupLocked(dst)
	}
	return mtu, err
}

// lookupLocked asks for the route to dst and, if it has no MTU metric, for
// its output interface's MTU.
func (s *routeSocket) lookupLocked(dst netip.Addr) (int, error) {
	family := uint8(unix.AF_INET)
	if dst.Is6() {
		family = unix.AF_INET6
	}
	rt, err := s.routeLocked(dst, family, unix.RTM_F_FIB_MATCH)
	if err != nil {
		return 0, err
	}
	if rt.mtu != 0 {
		return int(rt.mtu), nil
	}
	if rt.oif == 0 {
		// A route with several next hops names no interface: ask for
		// the route a datagram would take, for its interface only (its
		// MTU may be a path MTU learned from ICMP).
		taken, err := s.routeLocked(dst, family, 0)
		if err != nil {
			return 0, err
		}
		if rt.oif = taken.oif; rt.oif == 0 {
			return 0, fmt.Errorf("dtls: platform: the route to %v has no output interface", dst)
		}
	}
	s.seq++
	s.req = appendLinkRequest(s.req[:0], rt.oif, s.seq)
	body, err := s.exchangeLocked(unix.RTM_NEWLINK)
	if err != nil {
		return 0, fmt.Errorf("dtls: platform: interface %d: %w", rt.oif, err)
	}
	mtu, ok := parseLink(body, rt.oif)
	if !ok {
		return 0, fmt.Errorf("dtls: platform: interface %d: %w", rt.oif, &brokenError{"receive", errMalformedReply})
	}
	return int(mtu), nil
}

// routeLocked asks for the route to dst with the rtmsg flags rtmFlags.
func (s *routeSocket) routeLocked(dst netip.Addr, family uint8, rtmFlags uint32) (routeInfo, error) {
	s.seq++
	s.req = appendRouteRequest(s.req[:0], dst, s.seq, rtmFlags)
	body, err := s.exchangeLocked(unix.RTM_NEWROUTE)
	if err != nil {
		return routeInfo{}, fmt.Errorf("dtls: platform: route to %v: %w", dst, err)
	}
	rt, ok := parseRoute(body, family)
	if !ok {
		return routeInfo{}, fmt.Errorf("dtls: platform: route to %v: %w", dst, &brokenError{"receive", errMalformedReply})
	}
	return rt, nil
}

// exchangeLocked sends s.req, numbered s.seq, and returns the body of its
// reply, a message of type want, which stays valid until the next
// exchange, or the error the kernel answered with. It skips the replies to
// earlier requests that are still queued.
func (s *routeSocket) exchangeLocked(want uint16) ([]byte, error) {
	if _, err := unix.Write(s.fd, s.req); err != nil {
		return nil, &brokenError{"send", err}
	}
	for range routeStaleMax {
		n, err := unix.Read(s.fd, s.buf)
		if err != nil {
			// EAGAIN: the reply was dropped, the queue being full.
			return nil, &brokenError{"receive", err}
		}
		m, found, ok := replyTo(s.buf[:n], s.seq, s.port)
		if !ok {
			return nil, &brokenError{"receive", errMalformedReply}
		}
		if found {
			body, err := answer(m, want)
			if errors.Is(err, errMalformedReply) {
				return nil, &brokenError{"receive", err}
			}
			return body, err
		}
	}
	return nil, &brokenError{"receive", errors.New("too many stale replies")}
}

// recoverLocked makes the socket usable after a failure: it replaces it
// if the calling thread is in the socket's namespace, and otherwise
// discards what is queued on it, which also clears a pending error such as
// ENOBUFS, the kernel's word that it dropped a reply. It reports whether
// the socket may be used again.
func (s *routeSocket) recoverLocked() bool {
	if s.reopenLocked() {
		return true
	}
	for range routeStaleMax {
		_, err := unix.Read(s.fd, s.buf)
		switch err {
		case nil, unix.ENOBUFS:
		case unix.EAGAIN:
			return true
		default:
			return false
		}
	}
	return false
}

// reopenLocked replaces the socket with a new one, or opens the first,
// if the calling thread is in the socket's namespace; it reports whether
// it did. It cannot tell for a namespace that could not be identified.
func (s *routeSocket) reopenLocked() bool {
	if s.ns == (nsID{}) {
		return false
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if id, known := threadNetns(); !known || id != s.ns {
		return false
	}
	return s.openLocked() == nil
}
