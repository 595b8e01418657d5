package pmtu

import (
	"container/list"
	"time"
)

// DefaultCacheSize is the number of destinations a Cache keeps when NewCache
// is given no bound.
const DefaultCacheSize = 1024

// A Cache keeps the path-MTU state of recently used destinations, as a host
// keeps a path MTU per destination (RFC 8201 Section 5.2, RFC 1191 Section
// 5). It holds at most a fixed number of entries, evicting the least recently
// used, and forgets an entry not used for its time to live. It is not safe
// for concurrent use.
type Cache[K comparable] struct {
	max     int
	ttl     time.Duration
	entries map[K]*list.Element
	lru     list.List // of *cacheEntry[K], most recently used first
}

type cacheEntry[K comparable] struct {
	key  K
	s    *Search
	used time.Time
}

// NewCache returns an empty cache of at most maxEntries destinations (if
// maxEntries < 1, DefaultCacheSize) whose entries expire ttl after their last
// use (if ttl <= 0, never).
func NewCache[K comparable](maxEntries int, ttl time.Duration) *Cache[K] {
	if maxEntries < 1 {
		maxEntries = DefaultCacheSize
	}
	return &Cache[K]{max: maxEntries, ttl: ttl, entries: make(map[K]*list.Element)}
}

// Get returns the state of key's path, if it is cached and has not expired at
// now, and marks it used.
func (c *Cache[K]) Get(key K, now time.Time) (*Search, bool) {
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry[K])
	if c.expired(e, now) {
		c.remove(el)
		return nil, false
	}
	e.used = now
	c.lru.MoveToFront(el)
	return e.s, true
}

// Put stores s as the state of key's path, used at now, replacing any
// previous entry, and evicts the least recently used entry if the cache is
// over its bound.
func (c *Cache[K]) Put(key K, s *Search, now time.Time) {
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry[K])
		e.s, e.used = s, now
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry[K]{key: key, s: s, used: now})
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
// removed.
func (c *Cache[K]) Expire(now time.Time) int {
	n := 0
	for el := c.lru.Back(); el != nil; {
		e := el.Value.(*cacheEntry[K])
		if !c.expired(e, now) {
			break // the rest were used more recently
		}
		prev := el.Prev()
		c.remove(el)
		n++
		el = prev
	}
	return n
}

func (c *Cache[K]) expired(e *cacheEntry[K], now time.Time) bool {
	return c.ttl > 0 && !now.Before(e.used.Add(c.ttl))
}

func (c *Cache[K]) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry[K])
	delete(c.entries, e.key)
}
