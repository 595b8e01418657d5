//go:build linux

package sock

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pathdtls/pathdtls/platform"
)

// Bounds of a segmented send (Linux UDP_SEGMENT): at most gsoMaxSegments
// datagrams, the kernel's UDP_MAX_SEGMENTS as Linux 4.18 set it, and at most
// gsoMaxBytes in all, the largest UDP payload of an IPv4 packet (RFC 791,
// RFC 768), which also fits IPv6.
const (
	gsoMaxSegments = 64
	gsoMaxBytes    = 65535 - 20 - 8
)

var (
	_ BatchConn = (*udpConn)(nil)
	_ Offloader = (*udpConn)(nil)
)

// A batcher holds the state of batched I/O on Linux: whether segmentation
// and coalescing are on, the coalesced reads waiting to be split, and what
// they did.
type batcher struct {
	gso atomic.Bool // WriteBatch sends runs of equal datagrams segmented
	gro atomic.Bool // the kernel coalesces; every read splits
	// send sends the headers of an mmsg: sendmmsg, unless a test stands
	// in for the kernel.
	send func(u *udpConn, m *mmsg) (int, error)
	groState

	gsoSends, gsoDatagrams, gsoFallbacks atomic.Uint64
	groReads, groDatagrams               atomic.Uint64
}

// initBatch turns segmentation on where the kernel has it.
func (u *udpConn) initBatch() {
	u.batch.gso.Store(u.caps.GSO)
	u.batch.send = (*udpConn).sendmmsg
}

// readOne reads one datagram: with recvfrom, or through a coalescing read
// when the kernel coalesces.
func (u *udpConn) readOne(b []byte) (int, netip.AddrPort, error) {
	if !u.batch.gro.Load() {
		return u.readPlain(b)
	}
	ms := [1]Message{{Buf: b}}
	if _, err := u.readCoalesced(ms[:]); err != nil {
		return 0, netip.AddrPort{}, err
	}
	return ms[0].N, ms[0].Addr, nil
}

// ReadBatch implements BatchConn with one recvmmsg into the buffers of ms,
// at most 64 of them, or, when the kernel coalesces, into buffers of the
// Conn's own, split into ms.
func (u *udpConn) ReadBatch(ms []Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	if u.batch.gro.Load() {
		return u.readCoalesced(ms)
	}
	m := getMmsg()
	defer putMmsg(m)
	m.nh = min(len(ms), batchMax)
	m.niov = m.nh
	for i := range m.nh {
		m.setRecv(i, ms[i].Buf, false)
	}
	n, err := u.recvmmsg(m)
	if err != nil {
		return 0, err
	}
	for i := range n {
		ms[i].N = int(m.hdrs[i].Len)
		ms[i].Addr = nameOf(&m.names[i])
	}
	return n, nil
}

// WriteBatch implements BatchConn with sendmmsg, 64 datagrams at most per
// call. Where segmentation is on, a run of datagrams of equal size to one
// destination (the last may be shorter) goes as one message of the call,
// which the kernel cuts into datagrams (UDP_SEGMENT). If the kernel
// refuses a segmented send with EIO (no checksum offload on the route),
// segmentation is turned off for good and the run sent again unsegmented;
// with EINVAL (a datagram larger than the interface MTU, or segmentation
// unusable), the run is sent again unsegmented, and segmentation turned
// off if its first datagram then goes. A datagram to an address with a
// zone, or one that cannot go in a batch, is sent alone by WriteTo.
func (u *udpConn) WriteBatch(ms []Message) (int, error) {
	sent := 0
	plain := 0       // datagrams from ms[sent] on to send unsegmented
	suspect := false // their segmented send was refused with EINVAL
	for sent < len(ms) {
		m := getMmsg()
		packed := u.pack(m, ms[sent:], plain)
		if packed == 0 {
			putMmsg(m)
			if err := u.WriteTo(ms[sent].Buf, ms[sent].Addr); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		run := m.count[0]
		k, err := u.batch.send(u, m)
		n := u.tally(m, k)
		putMmsg(m)
		if suspect && n > 0 {
			// The run went unsegmented: the refusal was not about size.
			u.batch.gso.Store(false)
		}
		sent, plain, suspect = sent+n, max(plain-n, 0), false
		switch {
		case err != nil && k == 0 && run > 1 && gsoRefused(err):
			u.batch.gsoFallbacks.Add(1)
			plain, suspect = run, errors.Is(err, unix.EINVAL)
			if !suspect {
				u.batch.gso.Store(false)
			}
		case err != nil || n < packed:
			return sent, err
		}
	}
	return sent, nil
}

// gsoRefused reports whether err is how the kernel refuses a segmented
// send it cannot make: EIO or EINVAL.
func gsoRefused(err error) bool {
	return errors.Is(err, unix.EIO) || errors.Is(err, unix.EINVAL)
}

// pack puts the first datagrams of ms into the headers of m, segmented
// runs where segmentation is on, except for the first plain datagrams,
// and returns how many it put. It stops before a datagram that must go
// alone, and returns 0 if that is the first.
func (u *udpConn) pack(m *mmsg, ms []Message, plain int) int {
	gso := u.batch.gso.Load()
	i := 0
	for i < len(ms) && m.nh < batchMax && m.niov < batchMax {
		to, ok := u.batchDest(ms[i].Addr)
		if !ok {
			break
		}
		run := 1
		if gso && i >= plain {
			run = u.gsoRun(ms[i:], to, batchMax-m.niov)
		}
		u.packRun(m, ms[i:i+run], to)
		i += run
	}
	return i
}

// batchDest returns the destination of a datagram to `to` in a batch:
// unmapped, or the zero AddrPort on a connected socket. It reports false
// for a datagram that must go alone through WriteTo, which knows its
// zone or returns its error.
func (u *udpConn) batchDest(to netip.AddrPort) (netip.AddrPort, bool) {
	to = unmapAP(to)
	if u.peer.IsValid() {
		return netip.AddrPort{}, !to.IsValid() || to == u.peer
	}
	a := to.Addr()
	return to, a.IsValid() && a.Zone() == "" && to.Port() != 0 && (u.caps.IPv6 || a.Is4())
}

// gsoRun returns how many of the first datagrams of ms, all to `to`, at
// most room, go as one segmented send: datagrams of the size of the first,
// and perhaps a last one shorter.
func (u *udpConn) gsoRun(ms []Message, to netip.AddrPort, room int) int {
	size := len(ms[0].Buf)
	if size == 0 {
		return 1
	}
	n, total, limit := 1, size, min(room, gsoMaxSegments, len(ms))
	for n < limit {
		l := len(ms[n].Buf)
		if l == 0 || l > size || total+l > gsoMaxBytes {
			break
		}
		if d, ok := u.batchDest(ms[n].Addr); !ok || d != to {
			break
		}
		total += l
		n++
		if l < size {
			break // a shorter datagram ends a run
		}
	}
	return n
}

// packRun puts the datagrams of run, all to `to`, into the next header of
// m: one datagram, or a segmented run of them.
func (u *udpConn) packRun(m *mmsg, run []Message, to netip.AddrPort) {
	h := &m.hdrs[m.nh]
	*h = unix.Mmsghdr{}
	first := m.niov
	for i := range run {
		setIov(&m.iovs[m.niov], run[i].Buf)
		m.niov++
	}
	h.Hdr.Iov = &m.iovs[first]
	h.Hdr.SetIovlen(len(run))
	if to.IsValid() {
		h.Hdr.Name = (*byte)(unsafe.Pointer(&m.names[m.nh]))
		h.Hdr.Namelen = putName(&m.names[m.nh], to, u.caps.IPv6)
	}
	if len(run) > 1 {
		oob := m.oob[m.nh*oobSize:][:oobSize]
		h.Hdr.Control = &oob[0]
		h.Hdr.SetControllen(putSegmentSize(oob, len(run[0].Buf)))
	}
	m.count[m.nh] = len(run)
	m.nh++
}

// tally returns how many datagrams the first k headers of m hold, the
// headers sent, and counts the segmented sends among them.
func (u *udpConn) tally(m *mmsg, k int) int {
	n := 0
	for _, c := range m.count[:min(max(k, 0), m.nh)] {
		n += c
		if c > 1 {
			u.batch.gsoSends.Add(1)
			u.batch.gsoDatagrams.Add(uint64(c))
		}
	}
	return n
}

// SetGSO implements Offloader.
func (u *udpConn) SetGSO(on bool) error {
	if on && !u.caps.GSO {
		return fmt.Errorf("dtls: sock: segmentation offload: %w", platform.ErrUnsupported)
	}
	u.batch.gso.Store(on)
	return nil
}

// OffloadStats implements Offloader.
func (u *udpConn) OffloadStats() OffloadStats {
	b := &u.batch
	return OffloadStats{
		GSO: b.gso.Load(), GRO: b.gro.Load(),
		GSOSends: b.gsoSends.Load(), GSODatagrams: b.gsoDatagrams.Load(),
		GSOFallbacks: b.gsoFallbacks.Load(),
		GROReads:     b.groReads.Load(), GRODatagrams: b.groDatagrams.Load(),
	}
}
