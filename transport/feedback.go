package transport

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/pmtu"
)

// icmp acts on an ICMP error about a datagram this path sent. A
// "fragmentation needed" (RFC 1191) or "Packet Too Big" (RFC 8201) must
// pass validation first: it must quote the epoch and sequence number of
// the first record of a datagram sent recently, and report an MTU below
// that datagram's size (RFC 8899 §4.6.1). A port unreachable is only
// remembered: it is not authenticated, and a peer that starts a moment
// later must still be reached, but it says why a handshake failed.
func (p *path) icmp(ev icmp.Event) {
	switch ev.Kind {
	case icmp.KindFragNeeded, icmp.KindPacketTooBig:
		p.tooBig(ev)
	case icmp.KindPortUnreachable, icmp.KindHostUnreachable:
		p.unreachable.Store(&ev)
	}
}

// tooBig validates ev and lowers the estimate to the MTU it reports. One
// whose quote is too short to name a record is only a hint.
func (p *path) tooBig(ev icmp.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key, quoted := dtls.DatagramKey(ev.Quote)
	size, found := 0, false
	if quoted {
		size, found = p.sent.Lookup(key)
	}
	if !found {
		size = p.sent.Largest()
	}
	match := func([]byte) bool { return found }
	ev, err := p.validator.Validate(ev, p.local, p.peer(), size, match)
	if err != nil {
		if p.log.Enabled(slog.LevelDebug) {
			p.log.Event(slog.LevelDebug, "ICMP message ignored", "path MTU to %s: ignored %v: %v",
				slog.Any("peer", p.peer()), slog.Any("event", ev), slog.Any("reason", err))
		}
		return
	}
	if !quoted {
		// Nothing says we sent the datagram it is about: a hint only
		// (RFC 8899 §4.6), which at most makes the prober check the size.
		p.hints.Add(1)
		p.search.PacketTooBigHint(time.Now())
		if p.probe != nil {
			p.probe.pokeLocked()
		}
		if p.log.Enabled(slog.LevelDebug) {
			p.log.Event(slog.LevelDebug, "packet too big hint", "path MTU to %s: %v quotes no record: a hint, the size stays",
				slog.Any("peer", p.peer()), slog.Any("event", ev))
		}
		return
	}
	before := p.search.PMTU()
	p.search.PacketTooBig(pmtu.MTU(ev.MTU), time.Now())
	if p.probe != nil {
		p.probe.dropLocked(pmtu.MTU(ev.MTU))
	}
	p.noteLocked(before, fmt.Sprintf("%v", ev))
	if p.search.PMTU() < before {
		p.shrunkLocked()
	}
}

// localLimit takes in that the local stack refuses datagrams to the peer
// above the IP MTU mtu, as the interface's MTU or a route demands (RFC 8899
// §5.1.2: MAX_PLPMTU cannot exceed it); 0 means it did not say, and then
// the limit is taken to be just below the refused size.
func (p *path) localLimit(mtu, refused int) {
	if mtu <= 0 {
		mtu = int(p.family.MTU(refused)) - 1
	}
	p.localTooLong.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.search.PMTU()
	p.search.MessageTooLong(pmtu.MTU(mtu), time.Now())
	if p.probe != nil {
		p.probe.dropLocked(pmtu.MTU(mtu))
	}
	p.noteLocked(before, fmt.Sprintf("local stack refuses more than %d", mtu))
	if p.search.PMTU() < before {
		p.shrunkLocked()
	}
}

// lastUnreachable returns the last port or host unreachable about the
// peer, as an error, or nil.
func (p *path) lastUnreachable() error {
	ev := p.unreachable.Load()
	if ev == nil {
		return nil
	}
	return &UnreachableError{Event: *ev}
}

// An UnreachableError reports an ICMP port or host unreachable about the
// peer's address. It is not authenticated, so it never ends a handshake by
// itself; a handshake that times out says it was seen.
type UnreachableError struct {
	Event icmp.Event
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("dtls: %v reported %s (is a DTLS server listening there?)", e.Event.Reporter, e.Event.Kind)
}
