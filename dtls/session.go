package dtls

import (
	"container/list"
	"crypto/x509"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/prf"
)

// Session resumption by session ID (RFC 5246 §7.4.1.2, the abbreviated
// handshake of RFC 4347 §4.2.4): a server remembers the sessions it
// completed, under the session ID its ServerHello gave them, and a client
// that offers one of those IDs skips the key exchange, the certificates
// and the signature. Only sessions with the extended master secret are
// remembered and resumed (RFC 7627 §5.3): one without is resumed by
// neither side.

// Defaults of the session caches.
const (
	// DefaultSessionCacheSize is how many sessions a server remembers by
	// session ID when Config.SessionCacheSize is zero.
	DefaultSessionCacheSize = 1024
	// DefaultSessionLifetime is how long a session may be resumed when
	// Config.SessionLifetime is zero: RFC 5246 §F.1.4 suggests 24 hours at
	// most.
	DefaultSessionLifetime = 24 * time.Hour
)

// sessionIDLen is the length of the session IDs a server gives (RFC 5246
// §7.4.1.2 allows up to 32 bytes).
const sessionIDLen = 32

// A session is what resuming a session needs: the version, the cipher
// suite and the master secret it negotiated, and what ConnectionState
// reports of the peer.
type session struct {
	vers       uint16
	suite      uint16
	master     [prf.MasterSecretLen]byte
	serverName string
	peerCerts  []*x509.Certificate
	chains     [][]*x509.Certificate
	identity   []byte // the PSK identity, with a PSK suite
	created    time.Time
}

// fresh reports whether s may still be resumed at now.
func (s *session) fresh(now time.Time, lifetime time.Duration) bool {
	return now.Sub(s.created) < lifetime && !now.Before(s.created)
}

// A ClientSessionState is a session a client may resume: what a
// ClientSessionCache keeps. Its contents are the Conn's; they include the
// session's master secret, so a cache must keep it in memory only.
type ClientSessionState struct {
	id     []byte // the session ID the server gave it, if any
	ticket []byte // the session ticket the server gave it, if any (RFC 5077)
	s      session
	// ageAdd and lifetime are a DTLS 1.3 ticket's (RFC 8446 §4.6.1).
	ageAdd   uint32
	lifetime time.Duration
}

// A ClientSessionCache keeps the sessions a client may resume, by a key
// the Conn chooses: the Config's ServerName, or the server's address when
// it has none. Get and Put may be called from several goroutines at once.
// Put with a nil state removes the key's session: a Conn does so when a
// resumption fails.
type ClientSessionCache interface {
	Get(sessionKey string) (state *ClientSessionState, ok bool)
	Put(sessionKey string, state *ClientSessionState)
}

// NewLRUClientSessionCache returns a ClientSessionCache that keeps at most
// capacity sessions, forgetting the least recently used first; a capacity
// below 1 means 64.
func NewLRUClientSessionCache(capacity int) ClientSessionCache {
	if capacity < 1 {
		capacity = 64
	}
	return &lruSessionCache{capacity: capacity, m: make(map[string]*list.Element)}
}

// An lruSessionCache keeps at most capacity sessions by key, forgetting
// the least recently used first. It is safe for concurrent use.
type lruSessionCache struct {
	mu       sync.Mutex
	capacity int
	m        map[string]*list.Element // of *lruEntry
	order    list.List                // most recently used first
}

type lruEntry struct {
	key string
	st  *ClientSessionState
}

// Get returns the session of key and makes it the most recently used.
func (c *lruSessionCache) Get(key string) (*ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).st, true
}

// Put keeps st under key, or removes key if st is nil.
func (c *lruSessionCache) Put(key string, st *ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		if st == nil {
			c.order.Remove(e)
			delete(c.m, key)
			return
		}
		e.Value.(*lruEntry).st = st
		c.order.MoveToFront(e)
		return
	}
	if st == nil {
		return
	}
	if c.order.Len() >= c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.m, oldest.Value.(*lruEntry).key)
	}
	c.m[key] = c.order.PushFront(&lruEntry{key: key, st: st})
}

// A serverSessionCache keeps the sessions a server completed, by the
// session IDs it gave them, at most capacity, forgetting the oldest
// first: a session is resumed for a while after its full handshake, not
// for as long as it keeps being resumed. A full handshake costs it one
// allocation, the session's. It is safe for concurrent use.
type serverSessionCache struct {
	mu    sync.Mutex
	m     map[[sessionIDLen]byte]*session
	order [][sessionIDLen]byte // the IDs in the order they came, a ring
	next  int                  // where the next ID goes in order
}

func newServerSessionCache(capacity int) *serverSessionCache {
	return &serverSessionCache{
		m:     make(map[[sessionIDLen]byte]*session, capacity),
		order: make([][sessionIDLen]byte, capacity),
	}
}

// get returns the session of id, if the cache keeps it.
func (c *serverSessionCache) get(id []byte) (*session, bool) {
	if len(id) != sessionIDLen {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[[sessionIDLen]byte(id)]
	return s, ok
}

// put keeps s under id, forgetting the oldest session if the cache is
// full.
func (c *serverSessionCache) put(id [sessionIDLen]byte, s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, c.order[c.next]) // the oldest, if still kept
	c.order[c.next] = id
	c.next = (c.next + 1) % len(c.order)
	c.m[id] = s
}

// forget removes the session of id.
func (c *serverSessionCache) forget(id []byte) {
	if len(id) != sessionIDLen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, [sessionIDLen]byte(id))
}

// serverSessions returns the Config's cache of the sessions a server
// completed, or nil if the Config disables it.
func (c *Config) serverSessions() *serverSessionCache {
	if c.SessionCacheSize < 0 {
		return nil
	}
	c.sessionOnce.Do(func() {
		n := c.SessionCacheSize
		if n == 0 {
			n = DefaultSessionCacheSize
		}
		c.sessionCache = newServerSessionCache(n)
	})
	return c.sessionCache
}

// sessionLifetime returns how long a session may be resumed.
func (c *Config) sessionLifetime() time.Duration {
	if c.SessionLifetime > 0 {
		return c.SessionLifetime
	}
	return DefaultSessionLifetime
}
