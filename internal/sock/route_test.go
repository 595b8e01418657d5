package sock

import (
	"errors"
	"net"
	"net/netip"
	"testing"

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
