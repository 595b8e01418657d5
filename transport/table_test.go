package transport

import (
	"net/netip"
	"testing"
)

// FuzzAssocTable drives an association table with a sequence of
// operations, one byte each (the operation in the top two bits, the peer
// in the others): a new association, the end of a handshake, an
// association that ends. The half-open ones must stay within the bound,
// and the table, its half-open list and each association's place in it
// must agree.
func FuzzAssocTable(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 0x41, 0x81, 6, 7, 8})
	f.Add([]byte{0, 0, 0, 0x40, 0, 0x80, 0x80})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, ops []byte) {
		const max = 4
		tb := newAssocTable(max)
		assocs := map[byte]*serverAssoc{} // the last association made for each peer
		for _, op := range ops {
			peer := op & 0x3f
			addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, peer}), 5000)
			switch op >> 6 {
			case 0:
				a := &serverAssoc{assoc: &assoc{path: pathTo(addr)}}
				if ev := tb.add(a); ev != nil && (ev.halfOpen != nil || tb.lookup(ev.peer()) == ev) {
					t.Fatalf("evicted association still in the table")
				}
				assocs[peer] = a
			case 1:
				if a := assocs[peer]; a != nil {
					tb.established(a.assoc)
				}
			default:
				if a := assocs[peer]; a != nil {
					tb.forget(a.assoc)
				}
			}
			checkTable(t, tb, max)
		}
	})
}

func checkTable(t *testing.T, tb *assocTable, max int) {
	t.Helper()
	if n := tb.halfOpen.Len(); n > max {
		t.Fatalf("%d half-open associations, more than %d", n, max)
	}
	inList := 0
	for e := tb.halfOpen.Front(); e != nil; e = e.Next() {
		sa := e.Value.(*serverAssoc)
		if sa.halfOpen != e || tb.lookup(sa.peer()) != sa {
			t.Fatalf("half-open %v is not in the table as listed", sa.peer())
		}
		inList++
	}
	for addr, sa := range tb.byAddr {
		if sa.peer() != addr {
			t.Fatalf("%v filed under %v", sa.peer(), addr)
		}
		if sa.halfOpen != nil {
			inList--
		}
	}
	if inList != 0 {
		t.Fatalf("the table and the half-open list disagree by %d", inList)
	}
}

// pathTo returns a path that knows only its peer's address.
func pathTo(addr netip.AddrPort) *path {
	p := &path{first: addr}
	p.remote.Store(&p.first)
	return p
}
