package transport

import "github.com/pathdtls/pathdtls/pmtu"

// PathStats are the counters of a Conn's path.
type PathStats struct {
	// ICMPAccepted counts the ICMP "fragmentation needed" (RFC 1191) and
	// "Packet Too Big" (RFC 8201) messages about this association that
	// passed validation; ICMPRejected those that did not.
	ICMPAccepted, ICMPRejected uint64
	// ICMPHints counts, among those accepted, the messages whose quote was
	// too short to name a datagram sent: hints that make the prober check
	// the size, which change nothing by themselves (RFC 8899 §4.6).
	ICMPHints uint64
	// LocalTooLong counts the sends the local stack refused as too long.
	LocalTooLong uint64
	// LostFlights counts the handshake flights that went unanswered: the
	// retransmission timer expired, or the peer retransmitted its previous
	// flight (RFC 6347 §4.2.4). Flights sent again at once because the path
	// shrank are not counted.
	LostFlights uint64
	// ProbesSent counts the probes sent (HeartbeatRequests in DTLS 1.2,
	// padded KeyUpdates in DTLS 1.3), keepalives included; ProbesAcked those answered; ProbesLost those
	// that went unanswered while the peer was sending; ProbesUnanswered the
	// keepalives a silent peer did not answer, which change nothing.
	ProbesSent, ProbesAcked, ProbesLost, ProbesUnanswered uint64
	// NotSent counts the datagrams that could not be sent because every
	// attempt met an error the system reported about earlier datagrams
	// (see Listener.Stats for the sends retried).
	NotSent uint64
	// DroppedData counts the records dropped because the application did
	// not read them before the receive queue filled (dtls.Stats.DroppedData).
	DroppedData uint64
	// Search is the state of the path-MTU search (RFC 8899 §5.2):
	// pmtu.Disabled until probing starts, when it cannot, and while the
	// size is fixed; once the association ended, the state it ended in.
	Search pmtu.State
}

// PathStats returns the counters of the association's path.
func (c *Conn) PathStats() PathStats {
	p := c.a.path
	v := p.validator.Stats()
	s := PathStats{
		ICMPAccepted: v.Accepted,
		ICMPRejected: v.Rejected(),
		ICMPHints:    p.hints.Load(),
		LocalTooLong: p.localTooLong.Load(),
		LostFlights:  p.lostFlights.Load(),
		NotSent:      p.notSent.Load(),
		DroppedData:  c.dc.Stats().DroppedData,
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.probe; pr != nil {
		s.ProbesSent, s.ProbesAcked = pr.sent.Load(), pr.acked.Load()
		s.ProbesLost, s.ProbesUnanswered = pr.lost.Load(), pr.unanswered.Load()
	}
	if p.probe != nil && p.search.Fixed() == 0 {
		s.Search = p.search.State() // once the association ended, where it ended
	}
	return s
}
