package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"golang.org/x/sys/unix"
)

// routeReaderIn makes a RouteReader in ns, closed when the test ends.
func routeReaderIn(t *testing.T, ns *netns) *RouteReader {
	t.Helper()
	var r *RouteReader
	ns.do(func() { r = NewRouteReader() })
	t.Cleanup(func() { r.Close() })
	if r.s.fd < 0 {
		t.Fatal("the RouteReader has no socket")
	}
	return r
}

// addRoute adds a route to dst on the loopback interface of the
// namespace of r, with the MTU mtu, through r's socket.
func addRoute(t *testing.T, r *RouteReader, dst netip.Prefix, mtu uint32) {
	t.Helper()
	var attrs []byte
	attrs = appendStruct(attrs, unix.RtAttr{Len: uint16(unix.SizeofRtAttr + len(dst.Addr().AsSlice())), Type: unix.RTA_DST})
	attrs = append(attrs, dst.Addr().AsSlice()...)
	attrs = appendStruct(attrs, unix.RtAttr{Len: 8, Type: unix.RTA_OIF})
	attrs = appendStruct(attrs, uint32(1)) // lo
	attrs = appendStruct(attrs, unix.RtAttr{Len: 12, Type: unix.RTA_METRICS})
	attrs = appendStruct(attrs, unix.RtAttr{Len: 8, Type: unix.RTAX_MTU})
	attrs = appendStruct(attrs, mtu)
	family := uint8(unix.AF_INET)
	if dst.Addr().Is6() {
		family = unix.AF_INET6
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.req = appendStruct(s.req[:0], unix.NlMsghdr{
		Len:   uint32(unix.SizeofNlMsghdr + unix.SizeofRtMsg + len(attrs)),
		Type:  unix.RTM_NEWROUTE,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | unix.NLM_F_CREATE | unix.NLM_F_EXCL,
		Seq:   s.seq,
	})
	s.req = appendStruct(s.req, unix.RtMsg{Family: family, Dst_len: uint8(dst.Bits()), Table: unix.RT_TABLE_MAIN,
		Protocol: unix.RTPROT_STATIC, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST})
	s.req = append(s.req, attrs...)
	if _, err := s.exchangeLocked(unix.NLMSG_ERROR); err != nil {
		t.Fatalf("adding a route to %v: %v", dst, err)
	}
}

// loMTU returns the MTU of the loopback interface of the test process's
// namespace.
func loMTU(t *testing.T) int {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	return lo.MTU
}

func TestRouteReaderNamespaces(t *testing.T) {
	nsA, nsB := newNetns(t, 9000), newNetns(t, 1400)
	a, b := routeReaderIn(t, nsA), routeReaderIn(t, nsB)
	home := NewRouteReader()
	defer home.Close()
	if a.s == b.s || a.s == home.s || b.s == home.s {
		t.Fatal("two namespaces share a socket")
	}
	addRoute(t, a, netip.MustParsePrefix("10.9.0.0/16"), 1300)
	addRoute(t, a, netip.MustParsePrefix("fd00:9::/32"), 1290)

	// Asked from this goroutine, on whatever thread, in the test
	// process's namespace: each reader answers for its own.
	for _, tc := range []struct {
		r    *RouteReader
		name string
		dst  string
		want int
		err  error
	}{
		{a, "A", "127.0.0.1", 9000, nil},
		{a, "A", "::1", 9000, nil},
		{a, "A", "::ffff:127.0.0.9", 9000, nil},
		{a, "A", "10.9.1.2", 1300, nil},
		{a, "A", "fd00:9::1", 1290, nil},
		{a, "A", "192.0.2.1", 0, unix.ENETUNREACH},
		{b, "B", "127.0.0.1", 1400, nil},
		{b, "B", "::1", 1400, nil},
		{b, "B", "10.9.1.2", 0, unix.ENETUNREACH},
		{home, "the test's", "127.0.0.1", loMTU(t), nil},
	} {
		got, err := tc.r.RouteMTU(netip.MustParseAddr(tc.dst))
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("namespace %s: RouteMTU(%s) = %d, %v; want %d, %v", tc.name, tc.dst, got, err, tc.want, tc.err)
		}
	}
	// One-shot lookups in a namespace share its socket.
	var oneShot int
	var err error
	nsA.do(func() { oneShot, err = RouteMTU(netip.MustParseAddr("10.9.0.1")) })
	if oneShot != 1300 || err != nil {
		t.Errorf("RouteMTU in namespace A = %d, %v; want 1300", oneShot, err)
	}

	lookUpConcurrently(t, map[*RouteReader]int{a: 9000, b: 1400})
}

// lookUpConcurrently reads the route MTU of 127.0.0.1 from several
// goroutines at once through each reader of want, and checks it.
func lookUpConcurrently(t *testing.T, want map[*RouteReader]int) {
	var wg sync.WaitGroup
	for r, mtu := range want {
		for range 4 {
			wg.Go(func() {
				for range 200 {
					if got, err := r.RouteMTU(netip.MustParseAddr("127.0.0.1")); got != mtu || err != nil {
						t.Errorf("concurrent RouteMTU = %d, %v; want %d", got, err, mtu)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}

func TestRouteReaderShared(t *testing.T) {
	ns := newNetns(t, 1500)
	r1, r2 := routeReaderIn(t, ns), routeReaderIn(t, ns)
	if r1.s != r2.s {
		t.Fatal("two readers of a namespace do not share its socket")
	}
	s := r1.s
	r1.Close()
	r1.Close() // a second Close releases nothing more
	if _, err := r1.RouteMTU(netip.MustParseAddr("127.0.0.1")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("RouteMTU after Close: %v; want net.ErrClosed", err)
	}
	if got, err := r2.RouteMTU(netip.MustParseAddr("127.0.0.1")); got != 1500 || err != nil {
		t.Errorf("RouteMTU through the other reader = %d, %v; want 1500", got, err)
	}
	r2.Close()
	routeSockets.mu.Lock()
	_, registered := routeSockets.m[s.ns]
	routeSockets.mu.Unlock()
	if registered || s.fd >= 0 || !s.closed {
		t.Errorf("after the last Close: registered %v, fd %d, closed %v", registered, s.fd, s.closed)
	}
	if r3 := routeReaderIn(t, ns); r3.s == s {
		t.Error("a closed socket was handed out again")
	}
}

// socketInode returns the inode of the socket s reads from.
func socketInode(t *testing.T, s *routeSocket) uint64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var st unix.Stat_t
	if err := unix.Fstat(s.fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// overrun makes the kernel drop replies to s: it shrinks the socket's
// receive buffer and sends requests without reading their replies until
// the kernel has dropped one, which also sets the socket's error to
// ENOBUFS.
func overrun(t *testing.T, s *routeSocket) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 256 {
		// Numbered apart from the reader's own requests.
		if _, err := unix.Write(s.fd, appendLinkRequest(nil, 1, 0x80000000+uint32(i))); err != nil {
			t.Fatal(err)
		}
		// A pending socket error shows as POLLERR, and stays.
		fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, 0); err != nil {
			t.Fatal(err)
		}
		if fds[0].Revents&unix.POLLERR != 0 {
			return
		}
	}
	t.Fatal("the kernel dropped no reply")
}

func TestRouteReaderRecovers(t *testing.T) {
	ns := newNetns(t, 1500)
	r := routeReaderIn(t, ns)
	dst := netip.MustParseAddr("127.0.0.1")
	check := func(when string) {
		t.Helper()
		if got, err := r.RouteMTU(dst); got != 1500 || err != nil {
			t.Fatalf("RouteMTU %s = %d, %v; want 1500", when, got, err)
		}
	}

	// A reply nobody read is skipped.
	r.s.mu.Lock()
	_, err := unix.Write(r.s.fd, appendRouteRequest(nil, dst, 0x7fffffff, unix.RTM_F_FIB_MATCH))
	r.s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	check("after a stale reply")

	// Dropped replies, seen from outside the namespace: the socket cannot
	// be replaced from here, and is emptied.
	before := socketInode(t, r.s)
	overrun(t, r.s)
	check("from outside the namespace after dropped replies")
	if socketInode(t, r.s) != before {
		t.Error("the socket was replaced from outside its namespace")
	}
	check("again")

	// The same from inside: the socket is replaced.
	overrun(t, r.s)
	ns.do(func() { check("from inside the namespace after dropped replies") })
	if socketInode(t, r.s) == before {
		t.Error("the socket was not replaced from inside its namespace")
	}
	check("from outside after the replacement")
}

// openFDs returns the number of the process's open file descriptors, not
// counting the one that reads them.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1
}

// noNewFDs keeps the process from opening any file descriptor until the
// function it returns is called: it lowers RLIMIT_NOFILE to just above the
// highest open descriptor and fills the gaps below.
func noNewFDs(t *testing.T) (restore func()) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	highest := 0
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, fd)
		}
	}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	limit := old
	limit.Cur = uint64(highest + 1)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	var fillers []int
	restore = func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
		for _, fd := range fillers {
			unix.Close(fd)
		}
	}
	for range highest + 1 {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EMFILE) {
			return restore
		}
		if err != nil {
			restore()
			t.Fatal(err)
		}
		fillers = append(fillers, fd)
	}
	restore()
	t.Fatal("descriptors could still be opened after filling every gap")
	return nil
}

func TestRouteReaderOpensNothing(t *testing.T) {
	r := NewRouteReader()
	defer r.Close()
	if r.s.fd < 0 {
		testenv.SkipOrFail(t, "no routing socket here")
	}
	want := loMTU(t)
	before := openFDs(t)
	restore := noNewFDs(t)
	if fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE); err == nil {
		unix.Close(fd)
		restore()
		t.Fatal("a socket could still be opened")
	}
	var failed error
	for i := range 1000 {
		dst := netip.AddrFrom4([4]byte{127, 0, byte(i >> 8), byte(i)})
		if got, err := r.RouteMTU(dst); got != want || err != nil {
			failed = fmt.Errorf("lookup %d: RouteMTU(%v) = %d, %v; want %d", i, dst, got, err, want)
			break
		}
	}
	restore()
	if failed != nil {
		t.Fatal(failed)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d file descriptors open before 1000 lookups, %d after", before, after)
	}
}

func TestRouteReaderDoesNotAllocate(t *testing.T) {
	r := NewRouteReader()
	defer r.Close()
	if r.s.fd < 0 {
		testenv.SkipOrFail(t, "no routing socket here")
	}
	dst := netip.MustParseAddr("127.0.0.1")
	var err error
	if n := testing.AllocsPerRun(100, func() { _, err = r.RouteMTU(dst) }); n != 0 || err != nil {
		t.Errorf("a lookup allocates %v times (%v); want 0", n, err)
	}
}

func BenchmarkRouteMTU(b *testing.B) {
	dst := netip.MustParseAddr("127.0.0.1")
	b.Run("one-shot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := RouteMTU(dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reader", func(b *testing.B) {
		r := NewRouteReader()
		defer r.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.RouteMTU(dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}
