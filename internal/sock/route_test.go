package sock

import (
	"net/netip"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
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
