package netns_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// The tests here check the test bed against the kernel alone, with plain
// sockets: that it forwards, that its routers send or suppress ICMP as
// configured and that the client's kernel learns the path MTU from it, that
// its impairments happen, and that it leaves nothing behind.

// waitLimit bounds every wait for something the kernel does at once. It is
// reached only when something is broken.
const waitLimit = 10 * time.Second

var networks = []string{"udp4", "udp6"}

func TestPing(t *testing.T) {
	t.Parallel()
	tp := netns.New(t, netns.Options{MTUs: []int{1500, 1400, 1280}})
	for _, network := range []string{"ip4:icmp", "ip6:ipv6-icmp"} {
		targets := []netip.Addr{
			tp.Routers[0].West.Addr(network), // the first router
			tp.Routers[1].East.Addr(network), // across a router
			tp.Server.West.Addr(network),     // across both
		}
		for _, dst := range targets {
			t.Run(fmt.Sprintf("%s/%s", network, dst), func(t *testing.T) {
				ping(t, tp.Client, network, dst)
			})
		}
	}
}

// ping sends an ICMP echo request from ns to dst and waits for the reply.
func ping(t *testing.T, ns *netns.Namespace, network string, dst netip.Addr) {
	var c *icmp.PacketConn
	ns.Run(t, func() {
		var err error
		if c, err = icmp.ListenPacket(network, ""); err != nil {
			t.Fatal(err)
		}
	})
	defer c.Close()
	var typ, replyType icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	proto := 1
	if dst.Is6() {
		typ, replyType, proto = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, 58
	}
	echo := &icmp.Echo{ID: os.Getpid() & 0xffff, Seq: 1, Data: []byte("pathdtls netns ping")}
	msg, err := (&icmp.Message{Type: typ, Body: echo}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteTo(msg, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(waitLimit))
	b := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(b)
		if err != nil {
			t.Fatalf("no echo reply from %s: %v", dst, err)
		}
		m, err := icmp.ParseMessage(proto, b[:n])
		if err != nil || m.Type != replyType {
			continue // another ICMP message a raw socket also sees
		}
		if r, ok := m.Body.(*icmp.Echo); ok && r.ID == echo.ID && bytes.Equal(r.Data, echo.Data) {
			if got := from.(*net.IPAddr).IP; !got.Equal(dst.AsSlice()) {
				t.Fatalf("echo reply from %s; want %s", got, dst)
			}
			return
		}
	}
}

func TestBottleneck(t *testing.T) {
	t.Parallel()
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{})
			client, server := newPair(t, tp, network)
			dst := tp.Server.West.Addr(network)
			reasm := reasmOKs(t, tp.Server, network)

			client.send(t, 1400)
			if n := server.next(t); n != 1400 {
				t.Fatalf("received %d bytes; want the 1400 sent, before the bottleneck", n)
			}
			tp.SetMTU(t, 1, 1280)
			client.send(t, 1400)
			client.send(t, 100)
			if n := server.next(t); n != 100 {
				t.Fatalf("received %d bytes; want only the 100 sent after the 1400 with DF", n)
			}
			waitFor(t, "the client to learn the path MTU 1280", func() bool {
				return tp.Client.CachedMTU(t, dst) == 1280
			})
			if got := reasmOKs(t, tp.Server, network); got != reasm {
				t.Errorf("the server reassembled %d datagrams; want none", got-reasm)
			}
		})
	}
}

func TestBlackHole(t *testing.T) {
	t.Parallel()
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1280}, BlackHole: true})
			client, server := newPair(t, tp, network)

			client.send(t, 1400)
			client.send(t, 100)
			if n := server.next(t); n != 100 {
				t.Fatalf("received %d bytes; want only the 100 sent after the 1400 with DF", n)
			}
			// The router drops its own ICMP error as it drops the datagram,
			// before it forwards the next one: once the drop is counted, a
			// client that learns nothing never will.
			waitFor(t, "the router to drop its ICMP error", func() bool {
				return tp.Counters(t).BlackHoled >= 1
			})
			if mtu := tp.Client.CachedMTU(t, tp.Server.West.Addr(network)); mtu != 0 {
				t.Errorf("the client learned the path MTU %d through a black hole", mtu)
			}
		})
	}
}

func TestTwoRouters(t *testing.T) {
	t.Parallel()
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1400, 1280}})
			client, server := newPair(t, tp, network)
			dst := tp.Server.West.Addr(network)
			// Each size fits the link before the bottleneck it should find.
			for _, step := range []struct{ size, mtu int }{{1450, 1400}, {1350, 1280}} {
				client.send(t, step.size)
				client.send(t, 100)
				if n := server.next(t); n != 100 {
					t.Fatalf("received %d bytes; want only the 100 sent after the %d with DF", n, step.size)
				}
				waitFor(t, fmt.Sprintf("the client to learn the path MTU %d", step.mtu), func() bool {
					return tp.Client.CachedMTU(t, dst) == step.mtu
				})
			}
		})
	}
}

func TestLossAndDuplication(t *testing.T) {
	t.Parallel()
	const sent = 200
	tests := []struct {
		loss, dup int
		// lo and hi bound the number lost or duplicated, more than four
		// standard deviations from the mean.
		lo, hi uint64
	}{
		{loss: 30, lo: 30, hi: 90},
		{dup: 50, lo: 70, hi: 130},
		{loss: 100, lo: sent, hi: sent},
		{dup: 100, lo: sent, hi: sent},
	}
	for _, tt := range tests {
		for _, network := range networks {
			t.Run(fmt.Sprintf("loss=%d,dup=%d/%s", tt.loss, tt.dup, network), func(t *testing.T) {
				t.Parallel()
				tp := netns.New(t, netns.Options{LossPercent: tt.loss, DupPercent: tt.dup})
				client, server := newPair(t, tp, network)
				for range sent {
					client.send(t, 8)
				}
				var c netns.Counters
				waitFor(t, "every datagram not lost to arrive", func() bool {
					c = tp.Counters(t)
					return server.count() == sent-int(c.Lost)+int(c.Duplicated)
				})
				got := c.Lost + c.Duplicated
				if got < tt.lo || got > tt.hi {
					t.Errorf("%d of %d datagrams lost and %d duplicated; want %d to %d in all",
						c.Lost, sent, c.Duplicated, tt.lo, tt.hi)
				}
			})
		}
	}
}

func TestToClientMTU(t *testing.T) {
	t.Parallel()
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			const mtu = 600
			tp := netns.New(t, netns.Options{ToClientMTU: mtu})
			client, server := newPair(t, tp, network)
			go client.read()
			overhead := 28
			if network == "udp6" {
				overhead = 48
			}
			// Toward the client, a packet of the MTU passes and one a
			// byte longer does not; toward the server, both pass.
			server.send(t, mtu-overhead+1)
			server.send(t, mtu-overhead)
			if n := client.next(t); n != mtu-overhead {
				t.Fatalf("the client received %d bytes; want only the %d of a %d-byte packet", n, mtu-overhead, mtu)
			}
			client.send(t, 1000)
			if n := server.next(t); n != 1000 {
				t.Fatalf("the server received %d bytes; want 1000", n)
			}
			if c := tp.Counters(t); c.TooLong != 1 || c.BlackHoled != 0 {
				t.Errorf("counters %+v; want 1 datagram too long and no ICMP error dropped", c)
			}
		})
	}
}

func TestDropOnce(t *testing.T) {
	t.Parallel()
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{DropOnce: []byte{20, 0xfe}})
			client, server := newPair(t, tp, network)
			go client.read()
			// The client's datagrams and the server's with another start
			// pass; of the server's that start with the prefix, only the
			// first is dropped.
			client.sendBytes(t, []byte{20, 0xfe, 1})
			server.sendBytes(t, []byte{20, 0xfd, 2})
			server.sendBytes(t, []byte{20, 0xfe, 3})
			server.sendBytes(t, []byte{20, 0xfe, 4, 4})
			server.sendBytes(t, []byte{20, 0xfe, 5, 5, 5})
			if n := server.next(t); n != 3 {
				t.Fatalf("the server received %d bytes; want the client's 3", n)
			}
			for _, want := range []int{3, 4, 5} {
				if n := client.next(t); n != want {
					t.Fatalf("the client received %d bytes; want %d", n, want)
				}
			}
			if c := tp.Counters(t); c.DroppedOnce != 1 {
				t.Errorf("counters %+v; want 1 datagram dropped once", c)
			}
		})
	}
}

func TestSysctl(t *testing.T) {
	t.Parallel()
	tp := netns.New(t, netns.Options{})
	tp.Client.Sysctl(t, "net.ipv4.icmp_ratelimit", "0")
	var got []byte
	tp.Client.Run(t, func() {
		var err error
		if got, err = os.ReadFile("/proc/sys/net/ipv4/icmp_ratelimit"); err != nil {
			t.Fatal(err)
		}
	})
	if strings.TrimSpace(string(got)) != "0" {
		t.Errorf("icmp_ratelimit %q in the client after Sysctl; want 0", got)
	}
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	beforeLinks := list(t, "link")
	var names []string
	t.Run("build", func(t *testing.T) {
		tp := netns.New(t, netns.Options{MTUs: []int{1500, 1400, 1280}, BlackHole: true, LossPercent: 1})
		for _, ns := range append([]*netns.Namespace{tp.Client, tp.Server}, tp.Routers...) {
			names = append(names, ns.Name)
		}
		all := list(t, "netns")
		for _, name := range names {
			if !slices.Contains(all, name) {
				t.Errorf("namespace %s not in %q", name, all)
			}
		}
	})
	all := list(t, "netns")
	for _, name := range names {
		if slices.Contains(all, name) {
			t.Errorf("namespace %s still exists", name)
		}
	}
	// Other tests may add and remove links of their own meanwhile, but
	// not by the names of a topology's interfaces.
	for _, link := range list(t, "link") {
		if !slices.Contains(beforeLinks, link) && (strings.HasPrefix(link, "east") || strings.HasPrefix(link, "west")) {
			t.Errorf("link %s appeared in the test's namespace", link)
		}
	}
}

// list returns the names of the namespaces (what "netns") or links (what
// "link") in the test's own namespace, sorted.
func list(t *testing.T, what string) []string {
	t.Helper()
	out, err := exec.Command("ip", "-o", what, "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip -o %s list: %v\n%s", what, err, out)
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if what == "link" && len(f) > 1 {
			f = f[1:] // the index
		}
		names = append(names, strings.TrimSuffix(f[0], ":"))
	}
	slices.Sort(names)
	return names
}

func TestDoReturns(t *testing.T) {
	t.Parallel()
	tp := netns.New(t, netns.Options{})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	home := nsInode(t, "/proc/thread-self/ns/net")
	want := nsInode(t, "/run/netns/"+tp.Server.Name)
	tp.Server.Run(t, func() {
		if got := nsInode(t, "/proc/thread-self/ns/net"); got != want {
			t.Errorf("inside Run: namespace inode %d; want %d", got, want)
		}
	})
	if got := nsInode(t, "/proc/thread-self/ns/net"); got != home {
		t.Errorf("after Run: namespace inode %d; want %d, where the thread started", got, home)
	}
}

// nsInode returns the inode number of the namespace file at path.
func nsInode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// endpoint is a UDP socket of a test, with Don't-Fragment set and the
// kernel's clamp to the path MTU it learned (IP_PMTUDISC_DO).
type endpoint struct {
	c    *net.UDPConn
	peer netip.AddrPort

	mu       sync.Mutex
	received []int // the sizes of the datagrams received
	arrived  chan struct{}
}

// newPair opens a client socket in tp.Client and a server socket in
// tp.Server whose received datagrams are recorded.
func newPair(t *testing.T, tp *netns.Topology, network string) (client, server *endpoint) {
	t.Helper()
	server = listen(t, tp.Server, network, tp.Server.West.Addr(network))
	client = listen(t, tp.Client, network, tp.Client.East.Addr(network))
	client.peer = server.c.LocalAddr().(*net.UDPAddr).AddrPort()
	server.peer = client.c.LocalAddr().(*net.UDPAddr).AddrPort()
	go server.read()
	return client, server
}

// listen opens a UDP socket in ns on addr, with DF.
func listen(t *testing.T, ns *netns.Namespace, network string, addr netip.Addr) *endpoint {
	t.Helper()
	e := &endpoint{arrived: make(chan struct{}, 1000)}
	ns.Run(t, func() {
		var err error
		if e.c, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0))); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { e.c.Close() })
	level, opt, do := unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO
	if addr.Is6() {
		level, opt, do = unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_DO
	}
	setsockopt(t, e.c, level, opt, do)
	// Room for every datagram of TestLossAndDuplication at once.
	setsockopt(t, e.c, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<20)
	return e
}

func setsockopt(t *testing.T, c *net.UDPConn, level, opt, value int) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), level, opt, value) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatalf("setsockopt(%d, %d, %d): %v", level, opt, value, serr)
	}
}

// send sends a datagram of size bytes to e's peer.
func (e *endpoint) send(t *testing.T, size int) {
	t.Helper()
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b, uint32(size))
	if _, err := e.c.WriteToUDPAddrPort(b, e.peer); err != nil {
		t.Fatal(err)
	}
}

// sendBytes sends b to e's peer.
func (e *endpoint) sendBytes(t *testing.T, b []byte) {
	t.Helper()
	if _, err := e.c.WriteToUDPAddrPort(b, e.peer); err != nil {
		t.Fatal(err)
	}
}

// read records the datagrams e receives until e is closed.
func (e *endpoint) read() {
	b := make([]byte, 65536)
	for {
		n, _, err := e.c.ReadFromUDPAddrPort(b)
		if err != nil {
			return
		}
		e.mu.Lock()
		e.received = append(e.received, n)
		e.mu.Unlock()
		e.arrived <- struct{}{}
	}
}

// next waits for the next datagram and returns its size.
func (e *endpoint) next(t *testing.T) int {
	t.Helper()
	select {
	case <-e.arrived:
	case <-time.After(waitLimit):
		t.Fatal("no datagram arrived")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.received[0]
	e.received = e.received[1:]
	return n
}

// count returns the number of datagrams received and not yet taken by
// next.
func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.received)
}

// reasmOKs returns the number of datagrams ns reassembled from fragments,
// for IPv4 or IPv6 by network.
func reasmOKs(t *testing.T, ns *netns.Namespace, network string) int64 {
	t.Helper()
	if strings.HasSuffix(network, "6") {
		return ns.Stats(t)["Ip6ReasmOKs"]
	}
	return ns.Stats(t)["IpReasmOKs"]
}

// waitFor polls cond until it holds, and fails t if it does not within
// waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitLimit); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", waitLimit, what)
		}
	}
}
