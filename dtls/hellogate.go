package dtls

import (
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// MaxFragmentedHello is the largest ClientHello body a HelloGate
// reassembles from fragments. A ClientHello of DTLS 1.0 or 1.2 with a
// cookie is a few hundred bytes; one that is larger and fragmented is
// dropped.
const MaxFragmentedHello = 4096

// DefaultHelloSlots is the number of fragmented ClientHellos a HelloGate
// reassembles at once when NewHelloGate is given no number.
const DefaultHelloSlots = 256

// A HelloGate is the front door of a server that reads a shared socket and
// demultiplexes associations itself (RFC 6347 §4.2.1): it answers a
// ClientHello without a valid cookie with a HelloVerifyRequest and keeps no
// state for it, and says when one with a valid cookie may start an
// association. A ClientHello that arrives in fragments, in several
// records or datagrams (RFC 6347 §4.2.3), is reassembled first, in a table
// of a fixed number of slots allocated as they are first needed: state
// before the cookie, but bounded whatever arrives, the oldest slot giving
// way to a new ClientHello. It is safe for concurrent use.
type HelloGate struct {
	config *Config

	mu    sync.Mutex
	slots []helloSlot
	clock uint64 // stamps slots in order of use

	fragments, reassembled, evicted atomic.Uint64
}

// A helloSlot reassembles one fragmented ClientHello.
type helloSlot struct {
	remote  netip.AddrPort // the sender; the zero AddrPort if free
	used    uint64         // the gate's clock when last used
	seq     uint16         // message_seq
	version uint16         // of the record
	recSeq  uint64         // the highest record sequence number seen
	length  int
	body    []byte
	have    fragment.Coverage
}

// HelloGateStats counts what a HelloGate did with fragments.
type HelloGateStats struct {
	Fragments   uint64 // ClientHello fragments taken into the table
	Reassembled uint64 // ClientHellos completed from fragments
	Evicted     uint64 // partial ClientHellos dropped to make room
}

// NewHelloGate returns a gate for servers configured by config that
// reassembles at most slots fragmented ClientHellos at once (if slots < 1,
// DefaultHelloSlots).
func NewHelloGate(config *Config, slots int) *HelloGate {
	if slots < 1 {
		slots = DefaultHelloSlots
	}
	return &HelloGate{config: config, slots: make([]helloSlot, slots)}
}

// A Verdict is what a HelloGate says of a datagram.
type Verdict struct {
	// Reply is a HelloVerifyRequest datagram to send back, or nil; or,
	// with Retry set, a HelloRetryRequest carrying a cookie, which is how a
	// DTLS 1.3 server asks for one (RFC 9147 §5.1).
	Reply []byte
	Retry bool
	// Accept says the datagram completed a ClientHello with a valid
	// cookie (or any ClientHello when Config.InsecureNoCookie is set): give
	// Hello to the new association first.
	Accept bool
	// Hello is a datagram holding the whole ClientHello in one record: the
	// datagram itself when it held it whole, else the reassembled message.
	Hello []byte
	// Random is the ClientHello's random, which tells a new ClientHello
	// from a retransmitted one (RFC 6347 §4.2.8).
	Random [32]byte

	hello *parsedHello // Hello, parsed, when Accept
}

// Stats returns the gate's counters.
func (g *HelloGate) Stats() HelloGateStats {
	return HelloGateStats{Fragments: g.fragments.Load(), Reassembled: g.reassembled.Load(), Evicted: g.evicted.Load()}
}

// Check looks at a datagram from remote that belongs to no association, or
// that looks like a new ClientHello to one that exists. Anything that is
// neither a ClientHello nor a fragment of one gets the zero Verdict: drop
// it. The ClientHello is parsed once, and its cookie checked once: a Conn
// made by ServerOn starts from an accepted Verdict without doing either
// again (Conn.AcceptHello).
func (g *HelloGate) Check(datagram []byte, remote netip.AddrPort) Verdict {
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	hello := datagram
	p, ok := parseHello(hello)
	if !ok {
		if hello = g.fragment(datagram, remote); hello == nil {
			return Verdict{}
		}
		if p, ok = parseHello(hello); !ok {
			return Verdict{}
		}
	} else if g.config.InsecureNoCookie || len(p.ch.Cookie) > 0 || len(p.ch.Extensions.Cookie) > 0 {
		g.forget(remote) // a whole one supersedes a partial one
	}
	reply, accept := g.config.verifyHello(p, remote)
	v := Verdict{Reply: reply, Accept: accept, Random: p.ch.Random}
	v.Retry = len(reply) > record.HeaderLen && handshake.Type(reply[record.HeaderLen]) == handshake.TypeServerHello
	if accept {
		v.Hello, v.hello = hello, p
	}
	return v
}

// IsClientHello reports whether datagram starts with an unprotected
// (epoch 0) handshake record whose first fragment is of a ClientHello: a
// cheap test for a demultiplexer that must tell a new ClientHello from the
// traffic of an association (RFC 6347 §4.2.8).
func IsClientHello(datagram []byte) bool {
	h, frag, _, ok := record.Split(datagram)
	return ok && h.Type == record.Handshake && h.Epoch == 0 &&
		len(frag) > 0 && handshake.Type(frag[0]) == handshake.TypeClientHello
}

// fragment takes the ClientHello fragments in datagram's records into
// remote's slot, and returns the reassembled ClientHello as a datagram once
// it is complete, else nil.
func (g *HelloGate) fragment(datagram []byte, remote netip.AddrPort) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	for d := datagram; len(d) > 0; {
		h, frag, rest, ok := record.Split(d)
		if !ok || h.Type != record.Handshake || h.Epoch != 0 {
			return nil
		}
		for b := frag; len(b) > 0; {
			hh, f, more, ok := handshake.ParseFragment(b)
			if !ok || hh.Type != handshake.TypeClientHello {
				return nil
			}
			if out := g.addLocked(remote, h, hh, f); out != nil {
				return out
			}
			b = more
		}
		d = rest
	}
	return nil
}

// addLocked adds one fragment to remote's slot. g.mu is held.
func (g *HelloGate) addLocked(remote netip.AddrPort, rh record.Header, hh handshake.Header, f []byte) []byte {
	n := int(hh.Length)
	if n > MaxFragmentedHello || uint64(hh.FragmentOffset)+uint64(len(f)) > uint64(n) {
		return nil
	}
	s := g.slotLocked(remote, hh.MessageSeq, n)
	s.version, s.recSeq = rh.Version, max(s.recSeq, rh.Seq)
	off := int(hh.FragmentOffset)
	copy(s.body[off:], f)
	s.have.Add(off, off+len(f))
	g.fragments.Add(1)
	if !s.have.Complete() {
		return nil
	}
	out := wholeHello(s)
	*s = helloSlot{body: s.body[:0], have: s.have}
	g.reassembled.Add(1)
	return out
}

// slotLocked returns remote's slot for a ClientHello of message_seq seq and
// n bytes, starting it over if it held another, or taking the slot used
// longest ago. g.mu is held.
func (g *HelloGate) slotLocked(remote netip.AddrPort, seq uint16, n int) *helloSlot {
	g.clock++
	var s *helloSlot
	for i := range g.slots {
		c := &g.slots[i]
		if c.remote == remote {
			s = c
			break
		}
		if s == nil || !c.remote.IsValid() || (s.remote.IsValid() && c.used < s.used) {
			s = c
		}
	}
	if s.remote != remote || s.seq != seq || s.length != n {
		if s.remote.IsValid() && s.remote != remote {
			g.evicted.Add(1)
		}
		if cap(s.body) < MaxFragmentedHello {
			s.body = make([]byte, 0, MaxFragmentedHello)
		}
		*s = helloSlot{remote: remote, seq: seq, length: n, body: s.body[:n], have: s.have}
		clear(s.body)
		s.have.Reset(n)
	}
	s.used = g.clock
	return s
}

// forget frees remote's slot, if it has one.
func (g *HelloGate) forget(remote netip.AddrPort) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.slots {
		if s := &g.slots[i]; s.remote == remote {
			*s = helloSlot{body: s.body[:0], have: s.have}
		}
	}
}

// wholeHello returns a datagram of one record holding the reassembled
// ClientHello whole, numbered as the last record of its fragments.
func wholeHello(s *helloSlot) []byte {
	h := handshake.Header{Type: handshake.TypeClientHello, Length: uint32(s.length), MessageSeq: s.seq, FragmentLength: uint32(s.length)}
	payload := append(h.Append(nil), s.body...)
	rh := record.Header{Type: record.Handshake, Version: s.version, Seq: s.recSeq}
	return record.AppendRecord(nil, rh, payload, record.NewNull())
}
