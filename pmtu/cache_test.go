package pmtu

import (
	"net/netip"
	"testing"
	"time"
)

// TestCacheBound checks the bound: the least recently used entry, by Get or
// Put, is evicted first.
func TestCacheBound(t *testing.T) {
	c := NewCache[netip.Addr](3, time.Hour)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}) }
	now := t0
	for i := range 3 {
		c.Put(addr(i), 1400+MTU(i), now)
		now = now.Add(time.Second)
	}
	if m, ok := c.Get(addr(0), now); !ok || m != 1400 { // 0 is now the most recent
		t.Fatalf("entry 0: %d, %v", m, ok)
	}
	c.Put(addr(3), 1403, now) // evicts 1, the least recently used
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	for i, want := range []bool{true, false, true, true} {
		if m, ok := c.Get(addr(i), now); ok != want || ok && m != 1400+MTU(i) {
			t.Errorf("entry %d: %d, present %v; want present %v", i, m, ok, want)
		}
	}
	c.Put(addr(2), 1280, now) // replaces
	if m, _ := c.Get(addr(2), now); m != 1280 || c.Len() != 3 {
		t.Errorf("Put did not replace entry 2: %d, Len %d", m, c.Len())
	}
	c.Delete(addr(2))
	c.Delete(addr(2))
	if _, ok := c.Get(addr(2), now); ok || c.Len() != 2 {
		t.Errorf("Delete: present %v, Len %d", ok, c.Len())
	}
}

// TestCacheExpiry checks that an entry expires its time to live after Put,
// however often it is used, and that Put starts the time over.
func TestCacheExpiry(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name string
		run  func(c *Cache[string]) (MTU, bool)
		want MTU // 0: absent
	}{
		{"fresh", func(c *Cache[string]) (MTU, bool) {
			c.Put("a", 1400, t0)
			return c.Get("a", at(time.Minute-time.Nanosecond))
		}, 1400},
		{"expired", func(c *Cache[string]) (MTU, bool) {
			c.Put("a", 1400, t0)
			return c.Get("a", at(time.Minute))
		}, 0},
		{"use does not extend", func(c *Cache[string]) (MTU, bool) {
			c.Put("a", 1400, t0)
			for s := range 59 {
				c.Get("a", at(time.Duration(s)*time.Second))
			}
			return c.Get("a", at(time.Minute))
		}, 0},
		{"Put starts over", func(c *Cache[string]) (MTU, bool) {
			c.Put("a", 1400, t0)
			c.Put("a", 1300, at(30*time.Second))
			return c.Get("a", at(89*time.Second))
		}, 1300},
		{"Put of an expired entry", func(c *Cache[string]) (MTU, bool) {
			c.Put("a", 1400, t0)
			c.Put("a", 1300, at(time.Hour))
			return c.Get("a", at(time.Hour+time.Second))
		}, 1300},
	}
	for _, tt := range tests {
		c := NewCache[string](0, time.Minute)
		m, ok := tt.run(c)
		if ok != (tt.want != 0) || m != tt.want {
			t.Errorf("%s: Get = %d, %v; want %d", tt.name, m, ok, tt.want)
		}
	}
}

// TestCacheExpire checks Expire, which finds expired entries wherever the
// order of use put them.
func TestCacheExpire(t *testing.T) {
	c := NewCache[string](0, time.Minute)
	c.Put("a", 1400, t0)
	c.Put("b", 1300, t0.Add(30*time.Second))
	c.Put("c", 1200, t0.Add(40*time.Second))
	c.Get("a", t0.Add(50*time.Second)) // a is the most recently used, and the oldest
	if n := c.Expire(t0.Add(80 * time.Second)); n != 1 {
		t.Fatalf("Expire removed %d, want 1", n)
	}
	if _, ok := c.Get("a", t0.Add(80*time.Second)); ok || c.Len() != 2 {
		t.Fatalf("a present %v, Len %d; want expired, 2", ok, c.Len())
	}
	if n := c.Expire(t0.Add(100 * time.Second)); n != 2 || c.Len() != 0 {
		t.Fatalf("Expire removed %d, Len %d; want 2, 0", n, c.Len())
	}
}

// TestCacheDefaults checks NewCache's defaults: DefaultCacheSize entries,
// which PMTU_RAISE_TIMER expires (RFC 8201 Section 4).
func TestCacheDefaults(t *testing.T) {
	c := NewCache[int](0, 0)
	if c.max != DefaultCacheSize || c.ttl != DefaultRaiseTimeout {
		t.Fatalf("max %d, ttl %v; want %d, %v", c.max, c.ttl, DefaultCacheSize, DefaultRaiseTimeout)
	}
	for i := range DefaultCacheSize + 10 {
		c.Put(i, 1500, t0)
	}
	if c.Len() != DefaultCacheSize {
		t.Fatalf("Len = %d, want %d", c.Len(), DefaultCacheSize)
	}
	if _, ok := c.Get(DefaultCacheSize+9, t0.Add(DefaultRaiseTimeout-time.Second)); !ok {
		t.Fatal("entry expired before PMTU_RAISE_TIMER")
	}
	if _, ok := c.Get(DefaultCacheSize+9, t0.Add(DefaultRaiseTimeout)); ok {
		t.Fatal("entry kept after PMTU_RAISE_TIMER")
	}
}

// TestCacheCarriesLearned runs what a transport does with a Cache: an
// association learns 1400 from a completed search, the next one to the
// same destination starts at 1400 and still finds a wider path, and one
// after the entry expired starts at Config.Max.
func TestCacheCarriesLearned(t *testing.T) {
	c := NewCache[string](0, 0)
	d := newDriver(t, ipv4)
	d.s.Start(d.now)
	d.complete(1400)
	m, ok := d.s.Learned()
	if !ok || m != 1400 {
		t.Fatalf("Learned = %d, %v; want 1400", m, ok)
	}
	putAt := d.now
	c.Put("peer", m, putAt)

	next, ok := c.Get("peer", putAt.Add(time.Minute))
	if !ok {
		t.Fatal("entry missing")
	}
	d = newDriver(t, Config{Max: 1500, Initial: next})
	d.want(Disabled, 1400)
	d.s.Start(d.now)
	d.complete(1500)
	d.want(SearchComplete, 1500)

	if _, ok := c.Get("peer", putAt.Add(DefaultRaiseTimeout)); ok {
		t.Fatal("entry kept after PMTU_RAISE_TIMER")
	}
}
