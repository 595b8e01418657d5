package transport

import (
	"container/list"
	"net/netip"
)

// An assocTable is a listener's associations by peer address, and the
// order in which those whose handshake is in progress started: the
// half-open ones, of which it keeps at most max, evicting the oldest for a
// new one (so that a flood of stalled handshakes cannot lock legitimate
// clients out). It is not safe for concurrent use: the Listener's lock
// guards it.
type assocTable struct {
	max      int
	byAddr   map[netip.AddrPort]*serverAssoc
	halfOpen list.List // of *serverAssoc, oldest first
}

func newAssocTable(max int) *assocTable {
	return &assocTable{max: max, byAddr: make(map[netip.AddrPort]*serverAssoc)}
}

// lookup returns the association of the peer at addr, or nil.
func (t *assocTable) lookup(addr netip.AddrPort) *serverAssoc { return t.byAddr[addr] }

// add enters a, whose handshake is starting, in place of any association of
// the same peer; beyond max half-open associations it removes the oldest
// and returns it, for the caller to close.
func (t *assocTable) add(a *serverAssoc) (evicted *serverAssoc) {
	if old := t.byAddr[a.peer()]; old != nil {
		t.remove(old)
	}
	if t.halfOpen.Len() >= t.max {
		evicted = t.halfOpen.Front().Value.(*serverAssoc)
		t.remove(evicted)
	}
	t.byAddr[a.peer()] = a
	a.halfOpen = t.halfOpen.PushBack(a)
	return evicted
}

// established takes a out of the half-open ones, if it is still in the
// table.
func (t *assocTable) established(a *assoc) {
	if sa := t.byAddr[a.peer()]; sa != nil && sa.assoc == a && sa.halfOpen != nil {
		t.halfOpen.Remove(sa.halfOpen)
		sa.halfOpen = nil
	}
}

// forget removes a, if it is still in the table, and returns it.
func (t *assocTable) forget(a *assoc) *serverAssoc {
	if sa := t.byAddr[a.peer()]; sa != nil && sa.assoc == a {
		t.remove(sa)
		return sa
	}
	return nil
}

// move files sa, if it is in the table, under to, the new address of its
// peer, whose path it moves there, and returns the association filed
// under to before, for the caller to close.
func (t *assocTable) move(sa *serverAssoc, to netip.AddrPort) (victim *serverAssoc) {
	if t.byAddr[sa.peer()] != sa {
		return nil
	}
	delete(t.byAddr, sa.peer())
	if old := t.byAddr[to]; old != nil {
		t.remove(old)
		victim = old
	}
	sa.path.moveTo(to)
	t.byAddr[to] = sa
	return victim
}

// remove takes sa out of the table.
func (t *assocTable) remove(sa *serverAssoc) {
	delete(t.byAddr, sa.peer())
	if sa.halfOpen != nil {
		t.halfOpen.Remove(sa.halfOpen)
		sa.halfOpen = nil
	}
}

// all returns every association.
func (t *assocTable) all() []*serverAssoc {
	out := make([]*serverAssoc, 0, len(t.byAddr))
	for _, a := range t.byAddr {
		out = append(out, a)
	}
	return out
}
