package dtls

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// The handshake moves through the states of RFC 6347 §4.2.4:
//
//	                   +-----------+
//	                   | PREPARING |
//	             +---> |           | <--------------------+
//	             |     +-----------+                      |
//	             |           |                            |
//	             |           | Buffer next flight         |
//	             |          \|/                           |
//	             |     +-----------+                      |
//	             |     |  SENDING  |<------------------+  |
//	             |     +-----------+                   |  | Send
//	             |           |                         |  | HelloRequest
//	     Receive |           | Send flight             |  |
//	        next |           | Set retransmit timer    |  |
//	      flight |          \|/                        |  |
//	             |     +-----------+                   |  |
//	             +-----|  WAITING  |-------------------+  |
//	                   +-----------+   Timer expires      |
//	                      /  |                            |
//	     Read retransmit /   | Receive last flight        |
//	                    /    |                            |
//	                   \/   \|/                           |
//	                   +-----------+                      |
//	                   | FINISHED  | ---------------------+
//	                   +-----------+
//
// PREPARING is a step of the handshake building a flight; sendFlight is
// SENDING; WAITING is the time between steps, when the engine's timer or a
// retransmission from the peer sends the flight again; FINISHED is a
// completed handshake whose last flight is kept to answer a retransmitted
// final flight (peerRetransmittedLocked).

// retransmitTimer is the timer of RFC 6347 §4.2.4.1: it starts at the
// configured initial value, doubles on every expiry up to 60 s, and keeps its
// value until a flight is answered without having been retransmitted.
type retransmitTimer struct {
	initial, cur time.Duration
}

func newRetransmitTimer(initial time.Duration) retransmitTimer {
	return retransmitTimer{initial: initial, cur: initial}
}

// expired doubles the timer after a timeout.
func (t *retransmitTimer) expired() { t.cur = min(2*t.cur, MaxRetransmitTimeout) }

// answered is called when a flight's reply arrives; retransmitted says
// whether the flight had to be sent more than once.
func (t *retransmitTimer) answered(retransmitted bool) {
	if !retransmitted {
		t.cur = t.initial
	}
}

// retransmitLocked sends the current flight again and counts it. c.in is
// held.
func (c *Conn) retransmitLocked(why string) {
	c.out.Lock()
	defer c.out.Unlock()
	c.out.retransmits++
	c.stats.retransmissions.Add(1)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "retransmit", "retransmitting (%s)", slog.String("reason", why))
	}
	if err := c.transmitFlightLocked(); err != nil {
		c.failLocked(err)
		return
	}
	c.armTimerLocked()
}

// transmitFlightLocked sends c.out.flight at the path's current size. When
// a datagram is refused as too long and the path then offers a smaller
// size, it fragments again and re-sends; any other failure to send leaves
// the flight to the timer, as a lost datagram would. It returns an error
// only when the flight cannot be built or the link is closed. c.in and
// c.out are held.
func (c *Conn) transmitFlightLocked() error {
	for range maxRepack {
		size := c.link.MaxDatagramSize()
		n, err := c.sendFlightAt(size)
		switch {
		case err == nil:
			return nil
		case n == 0 || errors.Is(err, net.ErrClosed):
			return err // the flight cannot be built, or the link is gone
		case !errors.Is(err, ErrMessageTooLong):
			c.in.lastErr = err
			if c.config.logs(slog.LevelDebug) {
				c.config.event(slog.LevelDebug, "flight not sent", "flight not sent (%v); the timer will send it again", slog.Any("err", err))
			}
			return nil
		}
		if c.link.MaxDatagramSize() >= size {
			if c.config.logs(slog.LevelDebug) {
				c.config.event(slog.LevelDebug, "datagram too long", "path refused a %d-byte datagram; the timer will send the flight again",
					slog.Int("size", n))
			}
			return nil
		}
		if c.config.logs(slog.LevelDebug) {
			c.config.event(slog.LevelDebug, "flight repacked", "path refused a %d-byte datagram; re-sending flight at %d",
				slog.Int("size", n), slog.Int("max_size", c.link.MaxDatagramSize()))
		}
	}
	return nil
}

// maxRepack bounds the packings of one transmission that a path refusing
// datagrams as too long may cause.
const maxRepack = 8

// sendFlightAt packs the flight into datagrams of at most size bytes and
// writes them. On a write error it returns the failed datagram's length,
// which is never 0; other errors come with 0.
// c.in and c.out are held.
func (c *Conn) sendFlightAt(size int) (int, error) {
	pp := packers.Get().(*packerPair)
	defer packers.Put(pp)
	dgrams, err := c.packBalanced(pp, size)
	if err != nil {
		return 0, err
	}
	c.in.flightSentAt = time.Now()
	c.in.flightLargest = 0
	var sizes []string
	bp := sendBuffers.Get().(*[]byte)
	defer putSendBuffer(bp)
	for _, d := range dgrams {
		b := (*bp)[:0]
		first := RecordID{Epoch: d[0].Epoch, Seq: c.out.epochState(d[0].Epoch).seq}
		noted := len(c.out.sent)
		for _, r := range d {
			c.out.noteSent(r)
			if b, err = c.out.appendRecord(b, record.ContentType(r.Type), r.Epoch, r.Payload); err != nil {
				return 0, err
			}
		}
		*bp = b
		c.out.sizeSent(noted, len(b))
		if err := c.link.WriteDatagram(b, first); err != nil {
			return len(b), err
		}
		c.in.flightLargest = max(c.in.flightLargest, len(b))
		if c.config.logs(slog.LevelDebug) {
			sizes = append(sizes, fmt.Sprintf("%d bytes %s", len(b), describeDatagram(d)))
		}
	}
	for _, o := range c.out.flight {
		if o.CCS && o.Epoch+1 == c.out.cur.epoch {
			c.out.ccsSent = true
		}
	}
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "flight sent", "sent flight %s in %d datagram(s) of at most %d bytes: %s",
			slog.String("flight", describeFlight(c.out.flight)), slog.Int("datagrams", len(dgrams)),
			slog.Int("max_size", size), slog.String("layout", strings.Join(sizes, "; ")))
	}
	return 0, nil
}

// packBalanced packs the flight into as few datagrams as size allows, but
// each as small as that number of datagrams allows, so that they are of
// about the same size rather than all full but a short last one. On a path
// narrower than the estimate, the flight then gets through whole or not at
// all. A short last datagram that alone gets through leaves the peer with
// the end of a message and nothing before it, which some reassemblers can
// only complete one fragment per flight: GnuTLS 3.7 keeps one contiguous
// range per message, merges only fragments that touch it, and drops the
// range's tail when it merges one in front (seen across a router whose
// ICMP message arrived after a whole flight had been written).
//
// The packing returned is in pp.best, and stays valid until pp packs again.
func (c *Conn) packBalanced(pp *packerPair, size int) ([][]fragment.Record, error) {
	dgrams, err := pp.best.Pack(c.out.flight, size, c.out.fit)
	if err != nil || len(dgrams) < 2 {
		return dgrams, err
	}
	lo, hi := size/len(dgrams), size // the smallest size keeping the count is in (lo, hi]
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if d, err := pp.trial.Pack(c.out.flight, mid, c.out.fit); err == nil && len(d) == len(dgrams) {
			hi, dgrams = mid, d
			pp.best, pp.trial = pp.trial, pp.best
		} else {
			lo = mid
		}
	}
	return dgrams, nil
}

// A packerPair is the memory of packBalanced: the best packing found so
// far, and the one being tried.
type packerPair struct{ best, trial fragment.Packer }

// packers are shared by every Conn: a flight is packed and sent under the
// Conn's lock, and its packing is not needed after.
var packers = sync.Pool{New: func() any { return new(packerPair) }}

// describeFlight names a flight's messages for the log, in brackets.
func describeFlight(f []fragment.Out) string {
	names := make([]string, len(f))
	for i, o := range f {
		if o.CCS {
			names[i] = "ChangeCipherSpec"
		} else {
			names[i] = o.Type.String()
		}
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// describeDatagram lists a datagram's handshake fragments as
// Type[offset+length] for the trace.
func describeDatagram(d []fragment.Record) string {
	var parts []string
	for _, r := range d {
		if r.Type != uint8(record.Handshake) {
			parts = append(parts, "CCS")
			continue
		}
		for b := r.Payload; len(b) > 0; {
			h, frag, rest, ok := handshake.ParseFragment(b)
			if !ok {
				break
			}
			parts = append(parts, fmt.Sprintf("%s[%d+%d]", h.Type, h.FragmentOffset, len(frag)))
			b = rest
		}
	}
	return "(" + strings.Join(parts, " ") + ")"
}
