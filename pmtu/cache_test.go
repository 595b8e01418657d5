package pmtu

import (
	"net/netip"
	"testing"
	"time"
)

func TestCacheBound(t *testing.T) {
	c := NewCache[netip.Addr](3, 0)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}) }
	now := t0
	for i := range 3 {
		c.Put(addr(i), New(ipv4, now), now)
		now = now.Add(time.Second)
	}
	if _, ok := c.Get(addr(0), now); !ok { // 0 is now the most recent
		t.Fatal("entry 0 missing")
	}
	c.Put(addr(3), New(ipv4, now), now) // evicts 1, the least recently used
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	for i, want := range []bool{true, false, true, true} {
		if _, ok := c.Get(addr(i), now); ok != want {
			t.Errorf("entry %d present %v, want %v", i, ok, want)
		}
	}
	s := New(ipv4, now)
	c.Put(addr(2), s, now) // replaces
	if got, _ := c.Get(addr(2), now); got != s || c.Len() != 3 {
		t.Errorf("Put did not replace entry 2")
	}
	c.Delete(addr(2))
	c.Delete(addr(2))
	if _, ok := c.Get(addr(2), now); ok || c.Len() != 2 {
		t.Errorf("Delete: present %v, Len %d", ok, c.Len())
	}
}

func TestCacheExpiry(t *testing.T) {
	c := NewCache[string](0, time.Minute)
	c.Put("a", New(ipv4, t0), t0)
	c.Put("b", New(ipv4, t0), t0.Add(30*time.Second))
	if _, ok := c.Get("a", t0.Add(59*time.Second)); !ok {
		t.Fatal("a expired early")
	}
	// a was used at 59 s, b at 30 s.
	if n := c.Expire(t0.Add(90 * time.Second)); n != 1 {
		t.Fatalf("Expire removed %d, want 1", n)
	}
	if _, ok := c.Get("b", t0.Add(90*time.Second)); ok {
		t.Fatal("b did not expire")
	}
	if _, ok := c.Get("a", t0.Add(118*time.Second)); !ok {
		t.Fatal("a expired early")
	}
	if _, ok := c.Get("a", t0.Add(178*time.Second)); ok {
		t.Fatal("a did not expire on Get")
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d, want 0", c.Len())
	}
	if c.max != DefaultCacheSize {
		t.Fatalf("max = %d, want %d", c.max, DefaultCacheSize)
	}
}
