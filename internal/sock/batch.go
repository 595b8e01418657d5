package sock

import (
	"errors"
	"net"
	"net/netip"
)

// A Message is one datagram of a batch: of [Socket.ReadBatch] and
// [Socket.SendBatch], and of the [BatchConn] below them. The caller owns
// the messages and their buffers and may reuse them from one batch to the
// next: neither the Socket nor the Conn keeps them after the call.
type Message struct {
	// Buf is the datagram to send, or the room to read one into: a
	// datagram longer than Buf is truncated, as ReadFrom truncates.
	Buf []byte
	// N is the length of the datagram read into Buf.
	N int
	// Addr is the destination of a datagram to send (the zero AddrPort on
	// a connected socket means its peer), or the source of one read. It is
	// unmapped, as every address of a Conn.
	Addr netip.AddrPort
	// Err is what became of a datagram of SendBatch: nil if it was sent;
	// a *TooLongError if the local stack refused it as too large;
	// ErrNotSent if every attempt met a pending error about earlier
	// datagrams; otherwise the error of the socket. A datagram whose Err
	// is not nil was not sent.
	Err error
}

// BatchConn is implemented by a Conn that reads and writes several
// datagrams in one system call: the real Conn on Linux (recvmmsg and
// sendmmsg) and memnet's. [Socket.ReadBatch] and [Socket.SendBatch] work
// over any Conn, one datagram per system call over a Conn that is not a
// BatchConn.
type BatchConn interface {
	// ReadBatch waits for a datagram, then reads it and the datagrams
	// waiting behind it, up to len(ms), setting N and Addr of ms[:n]. It
	// may return a pending error (see IsPending) instead, having read
	// nothing; it never returns both datagrams and an error.
	ReadBatch(ms []Message) (n int, err error)
	// WriteBatch sends ms in order and returns how many it sent from the
	// start, n. If n < len(ms) and err is not nil, err is about ms[n],
	// which was not sent, and may be a pending error about an earlier
	// datagram. If n < len(ms) and err is nil, the system stopped without
	// saying why, as Linux's sendmmsg does when a datagram after the
	// first fails: it returns that error to nobody, clearing a pending
	// error; the caller reads the error queue and sends ms[n:] again.
	// WriteBatch reads only Buf and Addr.
	WriteBatch(ms []Message) (n int, err error)
}

// Offloader is implemented by a Conn whose system can cut a buffer into
// datagrams on send and coalesce arriving datagrams into one buffer: the
// real Conn on Linux, with UDP generic segmentation offload (UDP_SEGMENT,
// Linux 4.18) and receive offload (UDP_GRO, Linux 5.0), which
// [platform.Capabilities] GSO and GRO say the kernel has. A DTLS record
// is sealed per datagram, so segmentation applies to runs of datagrams of
// equal size to one peer, and coalesced datagrams are split back.
type Offloader interface {
	// SetGSO turns segmentation on or off for WriteBatch: on, a run of
	// datagrams of equal size to one destination (the last may be
	// shorter) goes to the kernel as one buffer. It is on from the start
	// where the kernel has it, and SetGSO(true) fails with an error
	// wrapping platform.ErrUnsupported where it does not.
	SetGSO(on bool) error
	// EnableGRO has the kernel coalesce the datagrams arriving from one
	// peer. Every read, ReadFrom or ReadBatch, then goes through buffers
	// of 64 KiB that the Conn holds, at most 8 per read in progress (512
	// KiB), each taking one datagram or one peer's coalesced datagrams,
	// and splits what it read into datagrams; those that do not fit in
	// the caller's messages come first in the next read. Call it before
	// reading, on a socket that reads bursts from a few peers in batches,
	// such as a server's: a read of datagrams that the kernel did not
	// coalesce takes at most 8. It cannot be undone. It fails with an
	// error wrapping platform.ErrUnsupported where the kernel lacks it.
	EnableGRO() error
	// OffloadStats returns what segmentation and coalescing did.
	OffloadStats() OffloadStats
}

// OffloadStats counts what an [Offloader] did.
type OffloadStats struct {
	GSO bool // segmentation is on
	GRO bool // coalescing is on

	GSOSends     uint64 // segmented buffers the kernel took
	GSODatagrams uint64 // datagrams in them
	GSOFallbacks uint64 // segmented sends refused (EIO, EINVAL), sent again unsegmented
	GROReads     uint64 // buffers read holding more than one datagram
	GRODatagrams uint64 // datagrams split from them
}

// ReadBatch reads at least one datagram, waiting for one, and then the
// datagrams waiting behind it, up to len(ms); it returns how many it read,
// having set N and Addr of each. Over a Conn that is no [BatchConn] it
// reads one. As ReadFrom, it never returns a pending error: it drains the
// error queue to the handler and reads again, and returns only the Conn's
// other errors, which are fatal (net.ErrClosed after Close).
func (s *Socket) ReadBatch(ms []Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	bc, ok := s.c.(BatchConn)
	if !ok {
		n, from, err := s.ReadFrom(ms[0].Buf)
		if err != nil {
			return 0, err
		}
		ms[0].N, ms[0].Addr = n, from
		return 1, nil
	}
	for {
		n, err := bc.ReadBatch(ms)
		if err == nil {
			n = min(max(n, 0), len(ms))
			s.stats.received.Add(uint64(n))
			s.stats.readBatches.Add(1)
			return n, nil
		}
		if !IsPending(err) {
			return 0, err
		}
		s.readPending(err)
	}
}

// SendBatch sends the datagrams of ms in order, as many per system call as
// the Conn allows ([BatchConn]), and sets the Err of each message: nil for
// a datagram sent. It follows the rules of Send for each datagram: a
// pending error about earlier datagrams is drained to the handler and the
// datagram tried again; a datagram the local stack refuses gets a
// *TooLongError, one that every attempt failed to send ErrNotSent, and the
// batch goes on with the next. Once the socket is closed, the datagrams
// left get its error. SendBatch returns the number of datagrams sent and
// the first error of a message, nil when every datagram was sent.
func (s *Socket) SendBatch(ms []Message) (int, error) {
	bc, ok := s.c.(BatchConn)
	if !ok {
		return s.sendEach(ms)
	}
	sent := 0
	var first error
	// undrained says that the system stopped a batch without a reason: an
	// error it returned to nobody, perhaps a pending error it cleared,
	// whose queue entry the handler must hear. Sending the rest at once
	// lets a persistent error, such as a refusal, come back with it; the
	// queue is read at the latest when the batch is done.
	undrained := false
	defer func() {
		if undrained && s.errQueue {
			s.drain()
		}
	}()
	for rest := ms; len(rest) > 0; {
		n, err := bc.WriteBatch(rest)
		n = min(max(n, 0), len(rest))
		for i := range n {
			rest[i].Err = nil
		}
		sent += n
		s.stats.sent.Add(uint64(n))
		s.stats.sendBatches.Add(1)
		if rest = rest[n:]; len(rest) == 0 {
			break
		}
		if err == nil && n > 0 {
			s.stats.shortBatches.Add(1)
			undrained = true
			continue
		}
		m := &rest[0]
		m.Err = s.sendFirst(m, err)
		if IsPending(err) {
			undrained = false // the retries of Send read the queue
		}
		if m.Err == nil {
			sent++
		} else if first == nil {
			first = m.Err
		}
		rest = rest[1:]
		if errors.Is(m.Err, net.ErrClosed) {
			for i := range rest {
				rest[i].Err = m.Err
			}
			undrained = false
			break
		}
	}
	return sent, first
}

// sendFirst finishes the send of m, which a batch could not send, err
// being the reason (nil if the batch made no progress without one), and
// returns its outcome as Send does.
func (s *Socket) sendFirst(m *Message, err error) error {
	switch {
	case err == nil:
		return s.Send(m.Buf, m.Addr)
	case IsPending(err):
		return s.sendAgain(m.Buf, m.Addr, err)
	}
	return err
}

// sendEach is SendBatch over a Conn that is no BatchConn: one Send per
// datagram.
func (s *Socket) sendEach(ms []Message) (int, error) {
	sent := 0
	var first, closed error
	for i := range ms {
		m := &ms[i]
		if closed != nil {
			m.Err = closed
			continue
		}
		switch m.Err = s.Send(m.Buf, m.Addr); {
		case m.Err == nil:
			sent++
			continue
		case errors.Is(m.Err, net.ErrClosed):
			closed = m.Err
		}
		if first == nil {
			first = m.Err
		}
	}
	return sent, first
}
