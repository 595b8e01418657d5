//go:build linux

package sock

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/pathdtls/pathdtls/platform"
)

// Bounds of coalesced reads: each slot of a read takes what the kernel
// coalesced, at most a UDP datagram's 64 KiB; one read fills at most
// groSlots slots; a Conn keeps at most groKeep arenas for reuse.
const (
	groSlots    = 8
	groSlotSize = 1 << 16
	groKeep     = 2
)

// A groArena is the room of one coalesced read: slots of 64 KiB, each
// holding one datagram or several of one peer, cut at their segment size,
// and where the splitting of them into messages stands.
type groArena struct {
	bufs [groSlots][]byte // allocated on first use
	lens [groSlots]int
	segs [groSlots]int // segment size, or 0 for a datagram alone
	from [groSlots]netip.AddrPort
	n    int // slots filled
	slot int // the slot of the next datagram to hand out
	off  int // its offset in the slot
}

// groState holds the arenas of a Conn whose kernel coalesces: those free,
// and those with datagrams left over from a read, which the next read
// hands out first.
type groState struct {
	mu    sync.Mutex
	free  []*groArena
	stash []*groArena
}

// EnableGRO implements Offloader.
func (u *udpConn) EnableGRO() error {
	if !u.caps.GRO {
		return fmt.Errorf("dtls: sock: receive coalescing: %w", platform.ErrUnsupported)
	}
	// Reads go through the arenas before the kernel coalesces, never
	// after: a read into a small buffer would truncate.
	was := u.batch.gro.Swap(true)
	if err := platform.SetGRO(u.raw, true); err != nil {
		u.batch.gro.Store(was)
		return err
	}
	return nil
}

// readCoalesced reads into ms the datagrams left over from an earlier
// read, if any, or else the datagrams of one recvmmsg into an arena,
// split at their segment sizes; what does not fit in ms is left over.
func (u *udpConn) readCoalesced(ms []Message) (int, error) {
	g := &u.batch.groState
	if a := g.takeStash(); a != nil {
		n := a.spill(ms)
		g.release(a)
		return n, nil
	}
	a := g.get()
	if err := u.recvArena(a, min(len(ms), groSlots)); err != nil {
		g.release(a)
		return 0, err
	}
	n := a.spill(ms)
	g.release(a)
	return n, nil
}

// recvArena reads into the first slots of a, at most `slots`, and counts
// the coalesced reads.
func (u *udpConn) recvArena(a *groArena, slots int) error {
	m := getMmsg()
	defer putMmsg(m)
	for i := range slots {
		if a.bufs[i] == nil {
			a.bufs[i] = make([]byte, groSlotSize)
		}
		m.setRecv(i, a.bufs[i], true)
	}
	m.nh, m.niov = slots, slots
	n, err := u.recvmmsg(m)
	if err != nil {
		return err
	}
	for i := range n {
		l := int(m.hdrs[i].Len)
		seg, ok := groSegmentSize(m.control(i))
		if !ok || seg >= l {
			seg = 0
		}
		a.lens[i], a.segs[i], a.from[i] = l, seg, nameOf(&m.names[i])
		if seg > 0 {
			u.batch.groReads.Add(1)
			u.batch.groDatagrams.Add(uint64((l + seg - 1) / seg))
		}
	}
	a.n, a.slot, a.off = n, 0, 0
	return nil
}

// spill copies the datagrams of a, from where it stands, into ms and
// returns how many it copied.
func (a *groArena) spill(ms []Message) int {
	k := 0
	for k < len(ms) && a.slot < a.n {
		l, seg := a.lens[a.slot], a.segs[a.slot]
		if seg == 0 {
			seg = l
		}
		end := min(a.off+seg, l)
		ms[k].N = copy(ms[k].Buf, a.bufs[a.slot][a.off:end])
		ms[k].Addr = a.from[a.slot]
		k++
		if a.off = end; a.off >= l {
			a.slot, a.off = a.slot+1, 0
		}
	}
	return k
}

// get returns a free arena, or a new one.
func (g *groState) get() *groArena {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.free); n > 0 {
		a := g.free[n-1]
		g.free[n-1] = nil
		g.free = g.free[:n-1]
		return a
	}
	return new(groArena)
}

// takeStash returns the oldest arena with datagrams left over, or nil.
func (g *groState) takeStash() *groArena {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.stash) == 0 {
		return nil
	}
	a := g.stash[0]
	n := copy(g.stash, g.stash[1:])
	g.stash[n] = nil
	g.stash = g.stash[:n]
	return a
}

// release puts a back: among the left over if it still holds datagrams,
// else among the free, or drops it when enough are free.
func (g *groState) release(a *groArena) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case a.slot < a.n:
		g.stash = append(g.stash, a)
	case len(g.free) < groKeep:
		a.n, a.slot, a.off = 0, 0, 0
		g.free = append(g.free, a)
	}
}
