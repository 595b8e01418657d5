package transport

import (
	"encoding/hex"
	"log/slog"
	"net/netip"
	"sync"
)

// Routing by connection ID (RFC 9146). A listener whose Config asks its
// clients for connection IDs of n ≥ 1 bytes files each association whose
// handshake completed under its ID, in one table for all its readers: a
// client whose NAT binding changed may reach another socket of the group.
// A record with a known ID reaches its association, whatever address it
// comes from; one from a new address moves the association there only if
// it authenticates and is newer than every record before it (RFC 9146 §6,
// dtls.Conn.HandleMovedDatagram), and the path-MTU search starts again
// for the new path. Datagrams without an ID route by address, as before.

// cidHeaderLen is the length of a tls12_cid record's header before its
// connection ID: type, version, epoch and sequence number (RFC 9146 §4).
const cidHeaderLen = 11

// tls12CID is the outer content type of a record with a connection ID.
const tls12CID = 25

// A cidTable is a listener's server associations by connection ID. It is
// safe for concurrent use.
type cidTable struct {
	mu sync.Mutex
	m  map[string]*serverAssoc
}

// add files sa under id and reports whether it could: an ID already in
// use (a generator's collision) is not taken from its association.
func (t *cidTable) add(id []byte, sa *serverAssoc) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]*serverAssoc)
	}
	if _, taken := t.m[string(id)]; taken {
		return false
	}
	sa.cid = string(id)
	t.m[sa.cid] = sa
	return true
}

// remove takes sa out of the table, if it is in it.
func (t *cidTable) remove(sa *serverAssoc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sa.cid != "" && t.m[sa.cid] == sa {
		delete(t.m, sa.cid)
	}
}

// lookup returns the association filed under id, or nil.
func (t *cidTable) lookup(id []byte) *serverAssoc {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[string(id)]
}

// byConnectionID returns the association whose connection ID the first
// record of d carries, or nil if d starts with no such record.
func (l *Listener) byConnectionID(d []byte) *serverAssoc {
	n := l.cidLen
	switch {
	case n == 0 || len(d) == 0:
		return nil
	case d[0] == tls12CID && len(d) >= cidHeaderLen+n:
		return l.cids.lookup(d[cidHeaderLen : cidHeaderLen+n])
	case d[0]&unifiedFixedMask == unifiedFixed && d[0]&unifiedCID != 0 && len(d) >= 1+n:
		// A DTLS 1.3 record's unified header: the ID follows its first
		// byte (RFC 9147 §4).
		return l.cids.lookup(d[1 : 1+n])
	}
	return nil
}

// The first byte of a DTLS 1.3 unified header, 001CSLEE (RFC 9147 §4):
// its fixed bits, and the bit that says a connection ID follows.
const (
	unifiedFixedMask = 0xe0
	unifiedFixed     = 0x20
	unifiedCID       = 0x10
)

// deliverByConnectionID hands d, from from, to sa, found by its connection
// ID: from the peer's address as any datagram; from another, as one that
// may move the association, which moves before the record's content
// reaches the application, so that its answer goes to the new address.
func (s *shard) deliverByConnectionID(sa *serverAssoc, d []byte, from netip.AddrPort) {
	s.room.wait(sa.assoc, s.l.closing)
	if sa.peer() == from {
		sa.conn.HandleDatagram(d)
		return
	}
	sa.conn.HandleMovedDatagram(d, func() { sa.shard.move(sa, from) })
}

// move files sa, whose peer moved to to, under its new address, and takes
// its path there. An association that the table held for that address
// before is closed: its peer has left it.
func (s *shard) move(sa *serverAssoc, to netip.AddrPort) {
	s.mu.Lock()
	from := sa.peer()
	victim := s.table.move(sa, to)
	s.mu.Unlock()
	s.l.stats.moved.Add(1)
	if log := s.l.events(); log.Enabled(slog.LevelInfo) {
		log.Event(slog.LevelInfo, "peer moved", "association with %s moved to %s (connection ID)",
			slog.Any("peer", from), slog.Any("to", to))
	}
	if victim != nil {
		// Out of the table, it is no longer forgotten when it closes.
		s.l.cids.remove(victim)
		_ = victim.conn.Close()
	}
}

// registerConnectionID files a, whose handshake completed, under the
// connection ID its peer puts in its records.
func (s *shard) registerConnectionID(a *assoc) {
	l := s.l
	if l.cidLen == 0 {
		return
	}
	id := a.conn.ConnectionState().ConnectionID
	// Under s.mu, so that an association that closes or is moved out
	// of the table meanwhile is not filed after it was forgotten.
	s.mu.Lock()
	sa := s.table.lookup(a.peer())
	if sa == nil || sa.assoc != a || len(id) != l.cidLen {
		s.mu.Unlock()
		return
	}
	added := l.cids.add(id, sa)
	s.mu.Unlock()
	if !added {
		if log := l.events(); log.Enabled(slog.LevelWarn) {
			log.Event(slog.LevelWarn, "connection ID in use", "connection ID %s of %s is another association's: it is routed by address only",
				slog.String("cid", hex.EncodeToString(id)), slog.Any("peer", a.peer()))
		}
	}
}
