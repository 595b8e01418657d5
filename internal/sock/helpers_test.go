package sock_test

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
)

// The addresses of the two hosts of the memnet tests: documentation
// prefixes (RFC 5737, RFC 3849).
var (
	addrA4 = netip.MustParseAddr("192.0.2.1")
	addrB4 = netip.MustParseAddr("192.0.2.2")
	addrA6 = netip.MustParseAddr("2001:db8::1")
	addrB6 = netip.MustParseAddr("2001:db8::2")
	// elsewhere is a peer on no host: errors about it come from InjectError.
	elsewhere = netip.MustParseAddrPort("198.51.100.7:4433")
)

// A limit is a call of Handler.LocalLimit.
type limit struct {
	dest netip.AddrPort
	mtu  int
}

// A recorder is a sock.Handler that remembers what it was told and, if
// onICMP is set, calls it with each event.
type recorder struct {
	mu     sync.Mutex
	events []icmp.Event
	limits []limit
	onICMP func(icmp.Event)
}

func (r *recorder) ICMP(ev icmp.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	f := r.onICMP
	r.mu.Unlock()
	if f != nil {
		f(ev)
	}
}

func (r *recorder) LocalLimit(dest netip.AddrPort, mtu int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limits = append(r.limits, limit{dest, mtu})
}

// got returns the events and limits so far.
func (r *recorder) got() ([]icmp.Event, []limit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]icmp.Event(nil), r.events...), append([]limit(nil), r.limits...)
}

// pair is a network of two hosts, A and B, each with an IPv4 and an IPv6
// address.
type pair struct {
	n    *memnet.Network
	a, b *memnet.Host
}

// newPair builds a pair; cfgA and cfgB get their addresses filled in. The
// network is closed when the test ends.
func newPair(t *testing.T, cfgA, cfgB memnet.HostConfig) *pair {
	t.Helper()
	n := memnet.New()
	t.Cleanup(func() { n.Close() })
	cfgA.Addrs = []netip.Addr{addrA4, addrA6}
	cfgB.Addrs = []netip.Addr{addrB4, addrB6}
	a, err := n.AddHost(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AddHost(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{n: n, a: a, b: b}
}

// listen opens a socket on h at addr, with an ephemeral port.
func listen(t *testing.T, h *memnet.Host, addr netip.Addr) *memnet.Conn {
	t.Helper()
	c, err := h.Listen(netip.AddrPortFrom(addr, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readOne reads one datagram from c, which must have one waiting.
func readOne(t *testing.T, c *memnet.Conn) string {
	t.Helper()
	b := make([]byte, 2048)
	n, _, err := c.ReadFrom(b)
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	return string(b[:n])
}

// flooded is a memnet Conn on which, while flood is set, an ICMP error
// about elsewhere (portUnreachable) arrives just before every send, as
// under a flood of them; onWrite, if set, is called first.
type flooded struct {
	*memnet.Conn
	flood   atomic.Bool
	onWrite func()
}

func (f *flooded) WriteTo(b []byte, to netip.AddrPort) error {
	if f.onWrite != nil {
		f.onWrite()
	}
	if f.flood.Load() {
		f.InjectError(portUnreachable)
	}
	return f.Conn.WriteTo(b, to)
}
