package pmtu

import (
	"container/list"
	"time"
)

// DefaultCacheSize is the number of destinations a Cache keeps when NewCache
// is given no bound.
const DefaultCacheSize = 1024

// A Cache keeps what recently used paths learned, as a host keeps a path MTU
// per destination (RFC 8201 Section 5.2, RFC 1191 Section 5): the size
// Search.Learned returned when an association ended, for the next one to
// the same destination to start from (Config.Initial). An entry is forgotten
// its time to live after it was stored, PMTU_RAISE_TIMER by default, as a
// learned path MTU is (RFC 8201 Section 4); using it does not make it live
// longer. The cache holds at most a fixed number of entries and evicts the
// least recently used. It is not safe for concurrent use: the caller locks.
type Cache[K comparable] struct {
	max     int
	ttl     time.Duration
	entries map[K]*list.Element
	lru     list.List // of *cacheEntry[K], most recently used first
}

type cacheEntry[K comparable] struct {
	key     K
	mtu     MTU
	expires time.Time
}

// NewCache returns an empty cache of at most maxEntries destinations (if
// maxEntries < 1, DefaultCacheSize) whose entries expire ttl after they are
// stored (if ttl <= 0, DefaultRaiseTimeout).
func NewCache[K comparable](maxEntries int, ttl time.Duration) *Cache[K] {
	if maxEntries < 1 {
		maxEntries = DefaultCacheSize
	}
	if ttl <= 0 {
		ttl = DefaultRaiseTimeout
	}
	return &Cache[K]{max: maxEntries, ttl: ttl, entries: make(map[K]*list.Element)}
}

// Get returns the size stored for key, if there is one and it has not
// expired at now, and marks the entry as recently used. An expired entry is
// removed.
func (c *Cache[K]) Get(key K, now time.Time) (MTU, bool) {
	el, ok := c.entries[key]
	if !ok {
		return 0, false
	}
	e := el.Value.(*cacheEntry[K])
	if !now.Before(e.expires) {
		c.remove(el)
		return 0, false
	}
	c.lru.MoveToFront(el)
	return e.mtu, true
}

// Put stores mtu as what key's path learned at now, replacing any previous
// entry and its expiry, and evicts the least recently used entry if the
// cache is over its bound.
func (c *Cache[K]) Put(key K, mtu MTU, now time.Time) {
	expires := now.Add(c.ttl)
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry[K])
		e.mtu, e.expires = mtu, expires
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry[K]{key: key, mtu: mtu, expires: expires})
	for c.lru.Len() > c.max {
		c.remove(c.lru.Back())
	}
}

// Delete removes key's entry, if any.
func (c *Cache[K]) Delete(key K) {
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
}

// Len returns the number of entries, including any that have expired but
// have not been removed yet.
func (c *Cache[K]) Len() int { return c.lru.Len() }

// Expire removes every entry that has expired at now and returns how many it
// removed. It looks at every entry: the order of use is not the order of
// expiry.
func (c *Cache[K]) Expire(now time.Time) int {
	n := 0
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*cacheEntry[K]); !now.Before(e.expires) {
			c.remove(el)
			n++
		}
		el = next
	}
	return n
}

func (c *Cache[K]) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry[K])
	delete(c.entries, e.key)
}
