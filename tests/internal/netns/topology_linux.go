package netns

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// DefaultMTU is the MTU of a link whose MTU is given as 0.
const DefaultMTU = 1500

// MinMTU is the smallest link MTU a [Topology] accepts: every link carries
// IPv6, whose links must have an MTU of at least 1280 (RFC 8200, Section 5).
const MinMTU = 1280

// namePrefix starts the name of every namespace this package creates.
const namePrefix = "pdtls-"

// Options configures a [Topology]. The zero value is a client and a server
// joined through one router by two links of MTU [DefaultMTU], with the
// router sending ICMP errors.
type Options struct {
	// MTUs is the MTU of each link, starting at the client; there is one
	// router fewer than links. Nil means two links of DefaultMTU, and a
	// zero entry means DefaultMTU. For a bottleneck on the way from the
	// client to the server, narrow a later link than the one the client
	// is on: a router sends ICMP only about datagrams it cannot forward
	// into a narrower link.
	MTUs []int
	// BlackHole makes every router drop the ICMPv4 destination
	// unreachable, time exceeded and parameter problem messages and the
	// ICMPv6 error messages it originates, among them "fragmentation
	// needed" and "Packet Too Big": a datagram too large for the next
	// link then disappears without a word (RFC 2923, Section 2.1).
	BlackHole bool
	// LossPercent is the percentage, from 0 to 100, of the UDP datagrams
	// the first router forwards, in either direction, that it drops at
	// random instead.
	LossPercent int
	// DupPercent is the percentage, from 0 to 100, of the UDP datagrams
	// the first router forwards, in either direction, that it sends
	// twice.
	DupPercent int
	// ToClientMTU, if not zero, makes the first router drop, without a
	// word, every UDP datagram it forwards toward the client in an IP
	// packet of more than ToClientMTU bytes: a black hole at that MTU in
	// the server-to-client direction alone, whatever the BlackHole
	// option. Unlike a link's MTU it may be below MinMTU, down to 68, the
	// smallest IPv4 MTU (RFC 791); IPv6 packets are held to it too.
	ToClientMTU int
	// DropOnce, if not empty, makes the first router drop one UDP
	// datagram of each IP version, without a word: the first that the
	// server sends whose payload begins with the bytes of DropOnce (1 to
	// 8 of them), such as a DTLS record's content type.
	DropOnce []byte
}

// Topology is a network built by [New].
type Topology struct {
	// Client is the namespace at the west end, with one interface, East.
	Client *Namespace
	// Routers are the namespaces between Client and Server, from west to
	// east. Each has two interfaces, West and East, and forwards between
	// them.
	Routers []*Namespace
	// Server is the namespace at the east end, with one interface, West.
	Server *Namespace

	opts Options
	ip   string // the path of the ip command
	nft  string // the path of the nft command, when a router has rules
}

// seq numbers the topologies a process builds, to keep their names apart.
var seq atomic.Uint64

// staleOnce guards the deletion of namespaces left by dead processes.
var staleOnce sync.Once

// New builds the topology opts describe and registers its deletion with
// t.Cleanup. It returns once every link carries traffic. It needs root (see [testenv.MustRoot]) and the ip command, and
// the nft command for the impairments; it fails t on any error.
func New(t testing.TB, opts Options) *Topology {
	t.Helper()
	testenv.MustRoot(t)
	opts = withDefaults(t, opts)
	tp := &Topology{opts: opts, ip: testenv.LookPath(t, "ip")}
	if opts.impaired() {
		tp.nft = testenv.LookPath(t, "nft")
	}
	staleOnce.Do(func() { tp.deleteStale(t) })

	all := tp.addNamespaces(t, len(opts.MTUs)+1)
	for i, mtu := range opts.MTUs {
		tp.addLink(t, all[i], all[i+1], i, mtu)
	}
	for _, ns := range all {
		tp.ipBatch(t, ns, ns.config(len(opts.MTUs)))
	}
	if opts.impaired() {
		for i, r := range tp.Routers {
			if rules := r.nftRules(opts, i == 0); rules != "" {
				tp.nftLoad(t, r, rules)
			}
		}
	}
	tp.waitReady(t, all)
	return tp
}

// readyWait bounds the wait for a new topology's links to carry traffic. It
// is reached only when something is broken.
const readyWait = 10 * time.Second

// waitReady waits until every interface of all is operationally up with
// its queueing discipline attached. The kernel does both in deferred
// link-state work, which may run after the commands that set the links up
// have returned, later still on a busy machine; until then an interface
// drops what is sent through it without a word, and a router's first ARP
// request or neighbour solicitation, lost so, would hold the first
// datagram through it for a second, until the solicitation is repeated.
func (tp *Topology) waitReady(t testing.TB, all []*Namespace) {
	t.Helper()
	deadline := time.Now().Add(readyWait)
	for _, ns := range all {
		for {
			out, err := command(tp.ip, "", "-n", ns.Name, "-o", "link", "show")
			if err != nil {
				t.Fatalf("netns: ip -n %s link show: %v\n%s", ns.Name, err, out)
			}
			if linksReady(string(out)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("netns: the links of %s are not up after %v:\n%s", ns.Name, readyWait, out)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// linksReady reports whether every interface but the loopback in out, the
// output of "ip -o link show", is up with a queueing discipline other
// than noop, the one a device has until the kernel activates it.
func linksReady(out string) bool {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 2 || f[1] == "lo:" {
			continue
		}
		if !strings.Contains(line, " state UP ") || strings.Contains(line, " qdisc noop ") {
			return false
		}
	}
	return true
}

// withDefaults fills in the defaults of opts and fails t if opts is invalid.
func withDefaults(t testing.TB, opts Options) Options {
	t.Helper()
	mtus := []int{DefaultMTU, DefaultMTU}
	if opts.MTUs != nil {
		mtus = make([]int, len(opts.MTUs))
		for i, mtu := range opts.MTUs {
			if mtu == 0 {
				mtu = DefaultMTU
			}
			mtus[i] = mtu
		}
	}
	opts.MTUs = mtus
	switch {
	case len(mtus) < 2 || len(mtus) > 16:
		t.Fatalf("netns: %d links; want 2 to 16 (one more than the routers)", len(mtus))
	case opts.LossPercent < 0 || opts.LossPercent > 100:
		t.Fatalf("netns: LossPercent %d; want 0 to 100", opts.LossPercent)
	case opts.DupPercent < 0 || opts.DupPercent > 100:
		t.Fatalf("netns: DupPercent %d; want 0 to 100", opts.DupPercent)
	case opts.ToClientMTU != 0 && (opts.ToClientMTU < 68 || opts.ToClientMTU > 65535):
		t.Fatalf("netns: ToClientMTU %d; want 0 or 68 to 65535", opts.ToClientMTU)
	case len(opts.DropOnce) > 8:
		t.Fatalf("netns: DropOnce has %d bytes; want at most 8", len(opts.DropOnce))
	}
	for i, mtu := range mtus {
		if mtu < MinMTU || mtu > 65535 {
			t.Fatalf("netns: link %d has MTU %d; want %d to 65535", i, mtu, MinMTU)
		}
	}
	return opts
}

// impaired reports whether a router needs nftables rules.
func (o *Options) impaired() bool {
	return o.BlackHole || o.firstImpaired()
}

// firstImpaired reports whether the first router has impairments that
// only it applies.
func (o *Options) firstImpaired() bool {
	return o.LossPercent > 0 || o.DupPercent > 0 || o.ToClientMTU > 0 || len(o.DropOnce) > 0
}

// addNamespaces creates n namespaces, named after this process and
// topology, with the sysctls of their role, and sets tp's fields.
func (tp *Topology) addNamespaces(t testing.TB, n int) []*Namespace {
	t.Helper()
	base := fmt.Sprintf("%s%d-%d-", namePrefix, os.Getpid(), seq.Add(1))
	all := make([]*Namespace, n)
	for i := range all {
		role := fmt.Sprintf("r%d", i)
		switch i {
		case 0:
			role = "client"
		case n - 1:
			role = "server"
		}
		ns := &Namespace{Name: base + role, index: i, ip: tp.ip}
		tp.run(t, "", "netns", "add", ns.Name)
		t.Cleanup(func() { tp.deleteNamespace(t, ns.Name) })
		if err := ns.setSysctls(i > 0 && i < n-1); err != nil {
			t.Fatal(err)
		}
		all[i] = ns
	}
	tp.Client, tp.Routers, tp.Server = all[0], all[1:n-1], all[n-1]
	return all
}

// deleteNamespace deletes the namespace name, reporting an error to t.
func (tp *Topology) deleteNamespace(t testing.TB, name string) {
	t.Helper()
	if out, err := command(tp.ip, "", "netns", "delete", name); err != nil {
		t.Errorf("netns: deleting namespace %s: %v\n%s", name, err, out)
	}
}

// addLink creates link i, with the given MTU at both ends, from the east
// interface of west to the west interface of east, and records the
// addresses of both ends.
func (tp *Topology) addLink(t testing.TB, west, east *Namespace, i, mtu int) {
	t.Helper()
	m := fmt.Sprint(mtu)
	tp.run(t, "", "link", "add", "east", "netns", west.Name, "mtu", m,
		"type", "veth", "peer", "name", "west", "netns", east.Name, "mtu", m)
	west.East = &Interface{Name: "east", IPv4: linkAddr4(i, 1), IPv6: linkAddr6(i, 1)}
	east.West = &Interface{Name: "west", IPv4: linkAddr4(i, 2), IPv6: linkAddr6(i, 2)}
}

// SetMTU sets the MTU of both ends of link i. Routes and path MTUs the
// namespaces cached stay as they are.
func (tp *Topology) SetMTU(t testing.TB, link, mtu int) {
	t.Helper()
	if link < 0 || link >= len(tp.opts.MTUs) {
		t.Fatalf("netns: no link %d in a topology of %d links", link, len(tp.opts.MTUs))
	}
	if mtu < MinMTU || mtu > 65535 {
		t.Fatalf("netns: MTU %d; want %d to 65535", mtu, MinMTU)
	}
	m := fmt.Sprint(mtu)
	west, east := tp.namespace(link), tp.namespace(link+1)
	tp.run(t, "", "-n", west.Name, "link", "set", "east", "mtu", m)
	tp.run(t, "", "-n", east.Name, "link", "set", "west", "mtu", m)
	tp.opts.MTUs[link] = mtu
}

// namespace returns the namespace at position i from the west.
func (tp *Topology) namespace(i int) *Namespace {
	switch {
	case i == 0:
		return tp.Client
	case i <= len(tp.Routers):
		return tp.Routers[i-1]
	}
	return tp.Server
}

// linkAddr4 returns the IPv4 address of end host (1 or 2) of link i.
func linkAddr4(i, host int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(i), byte(host)})
}

// linkAddr6 returns the IPv6 address of end host (1 or 2) of link i.
func linkAddr6(i, host int) netip.Addr {
	return netip.AddrFrom16([16]byte{0xfd, 0x8a, 0x5d, 0x2e, 0x93, 0xb1, 0, byte(i), 15: byte(host)})
}

// ipBatch runs the ip commands in script, one a line, inside ns.
func (tp *Topology) ipBatch(t testing.TB, ns *Namespace, script string) {
	t.Helper()
	tp.run(t, script, "-n", ns.Name, "-batch", "-")
}

// run runs the ip command with args and stdin, failing t on an error.
func (tp *Topology) run(t testing.TB, stdin string, args ...string) {
	t.Helper()
	if out, err := command(tp.ip, stdin, args...); err != nil {
		t.Fatalf("netns: ip %s: %v\n%s%s", strings.Join(args, " "), err, stdin, out)
	}
}

// deleteStale deletes the namespaces that test processes which no longer
// exist left behind, as when a test binary was killed.
func (tp *Topology) deleteStale(t testing.TB) {
	t.Helper()
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return // no namespaces at all
	}
	for _, e := range entries {
		var pid int
		name := e.Name()
		rest, ok := strings.CutPrefix(name, namePrefix)
		if !ok {
			continue
		}
		if _, err := fmt.Sscanf(rest, "%d-", &pid); err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // alive, or not ours to judge
		}
		if out, err := command(tp.ip, "", "netns", "delete", name); err != nil {
			t.Logf("netns: deleting stale namespace %s: %v\n%s", name, err, out)
		}
	}
}
