package sock

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/platform"
)

func TestRouteCacheBound(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	var free routeCache
	mtu, err := free.lookup(lo)
	if err != nil || mtu < 1280 {
		testenv.SkipOrFail(t, "no route MTU for the loopback address: %d, %v", mtu, err)
	}
	bounded := routeCache{bound: 1234}
	if got, err := bounded.lookup(netip.AddrFrom16(lo.As16())); err != nil || got != min(mtu, 1234) {
		t.Fatalf("lookup with a bound of 1234 = %d, %v; want %d", got, err, min(mtu, 1234))
	}
	// Read once: the mapped and unmapped spellings share an entry.
	if len(bounded.mtus) != 1 {
		t.Fatalf("%d entries cached", len(bounded.mtus))
	}
	for i := range routeCacheMax + 1 {
		a := netip.AddrFrom4([4]byte{127, 0, byte(i >> 8), byte(i)})
		if _, err := bounded.lookup(a); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(bounded.mtus); n > routeCacheMax {
		t.Fatalf("%d entries cached; want at most %d", n, routeCacheMax)
	}
}

func TestRouteReaderReleased(t *testing.T) {
	c, err := Listen(t.Context(), nil, "udp4", "127.0.0.1:0", platform.DFProbe)
	if err != nil {
		testenv.SkipOrFail(t, "no loopback socket: %v", err)
	}
	u := c.(*udpConn)
	lo := netip.MustParseAddr("127.0.0.1")
	if mtu, err := u.RouteMTU(lo); err != nil || mtu < 1280 {
		t.Fatalf("RouteMTU(%v) = %d, %v", lo, mtu, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := u.routes.reader.RouteMTU(lo); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the route reader after Close: %v; want net.ErrClosed", err)
	}
}

// BenchmarkRouteCacheMiss reads a route MTU that is not cached, through
// the socket's route reader.
func BenchmarkRouteCacheMiss(b *testing.B) {
	c, err := Listen(b.Context(), nil, "udp4", "127.0.0.1:0", platform.DFProbe)
	if err != nil {
		b.Skip(err)
	}
	defer c.Close()
	u := c.(*udpConn)
	lo := netip.MustParseAddr("127.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		u.routes.mu.Lock()
		clear(u.routes.mtus)
		u.routes.mu.Unlock()
		if _, err := u.RouteMTU(lo); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRouteCacheOwn checks the route of a connected socket: read through
// the socket at most every ownRouteTTL, bounded, and kept when the kernel
// has none for a while.
func TestRouteCacheOwn(t *testing.T) {
	peer := netip.MustParseAddr("192.0.2.1")
	var reads int
	var answer error
	c := routeCache{bound: 1400, peer: peer, own: func() (int, error) {
		reads++
		return 1500, answer
	}}
	now := time.Now()
	for _, at := range []time.Time{now, now.Add(ownRouteTTL / 2)} {
		if mtu, err := c.lookupOwn(at); err != nil || mtu != 1400 {
			t.Fatalf("lookupOwn = %d, %v; want the bound, 1400", mtu, err)
		}
	}
	if reads != 1 {
		t.Errorf("%d reads within ownRouteTTL, want 1", reads)
	}
	answer = errors.New("no route just now")
	if mtu, err := c.lookupOwn(now.Add(2 * ownRouteTTL)); err != nil || mtu != 1400 {
		t.Errorf("lookupOwn without a route = %d, %v; want what it last read", mtu, err)
	}
	if _, err := (&routeCache{peer: peer, own: c.own}).lookupOwn(now); err == nil {
		t.Error("lookupOwn without a route, and nothing read before, did not fail")
	}
	// Other destinations are not the socket's: they go to the reader.
	if got, err := c.lookup(netip.MustParseAddr("127.0.0.1")); err != nil || got == 0 || reads != 3 {
		t.Errorf("lookup of another destination = %d, %v after %d reads of the own route", got, err, reads)
	}
}
