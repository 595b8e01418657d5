package transport

import (
	"net/netip"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/pmtu"
)

// cacheSize bounds the destinations whose path MTU a listener or a dialer
// remembers.
const cacheSize = 4096

// An mtuCache remembers what the associations to each address learned
// about the path MTU, so that the next association to it starts from there
// instead of from the route's MTU (RFC 1191 §5, RFC 8201 §5.2 keep a path
// MTU per destination). An entry expires after the raise timer, when what
// ICMP taught is forgotten (RFC 8201 §4). A nil *mtuCache remembers
// nothing. It is safe for concurrent use.
type mtuCache struct {
	mu sync.Mutex
	c  *pmtu.Cache[netip.Addr]
}

func newMTUCache(ttl time.Duration) *mtuCache {
	if ttl <= 0 {
		ttl = pmtu.DefaultRaiseTimeout
	}
	return &mtuCache{c: pmtu.NewCache[netip.Addr](cacheSize, ttl)}
}

func (m *mtuCache) get(a netip.Addr, now time.Time) (pmtu.MTU, bool) {
	if m == nil {
		return 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c.Get(a, now)
}

func (m *mtuCache) put(a netip.Addr, mtu pmtu.MTU, now time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c.Put(a, mtu, now)
}
