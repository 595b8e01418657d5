package dtls

import (
	"crypto"
	"encoding/binary"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// Resumption in DTLS 1.3 (RFC 8446 §2.2, §4.6.1): after the handshake the
// server sends a NewSessionTicket; the ticket seals the session's state
// with the Config's ticket keys (ticket.go), the PSK derived from the
// resumption master secret among it, so the server keeps nothing. A
// client that kept it offers it as a PSK identity, with psk_dhe_ke only:
// the resumed handshake still runs an ECDHE exchange, for forward secrecy,
// but skips the certificates and signatures.

// maxTicketLifetime13 caps a ticket's lifetime (RFC 8446 §4.6.1: seven
// days).
const maxTicketLifetime13 = 7 * 24 * time.Hour

// issueTicket13 sends a NewSessionTicket once the handshake completed,
// unless tickets are disabled. The server's records of it are kept for
// retransmission until the client acknowledges them (RFC 9147 §5.8.4).
// c.in is held.
func (hs *serverHandshake) issueTicket13(res []byte) {
	c, s13 := hs.c, hs.s13
	if c.config.SessionTicketsDisabled || !slices.Contains(hs.ch.Extensions.PSKModes, pskModeDHE) {
		return // a client that cannot use a ticket with psk_dhe_ke gets none (RFC 8446 §4.2.9)
	}
	nonce := []byte{0}
	psk := tls13.ResumptionPSK(s13.choice.suite.hash, res, nonce)
	st := &sessionState{vers: VersionDTLS13, suite: s13.choice.suite.id, created: c.config.now().Unix(),
		serverName: hs.ch.Extensions.ServerName, identity: s13.identity}
	if s13.resumed != nil {
		st.created, st.identity = s13.resumed.created, s13.resumed.identity
	}
	copy(st.master[:], psk)
	raw, err := st.marshal()
	if err != nil {
		return
	}
	ticket, err := c.config.sealTicket(raw)
	if err != nil {
		return
	}
	m := handshake.NewSessionTicket13{Nonce: nonce, Ticket: ticket}
	m.Lifetime = uint32(min(c.config.sessionLifetime(), maxTicketLifetime13) / time.Second)
	var r [4]byte
	if _, err := io.ReadFull(c.config.rand(), r[:]); err != nil {
		return
	}
	m.AgeAdd = binary.BigEndian.Uint32(r[:])
	body, err := m.Marshal()
	if err != nil {
		return
	}
	c.sendPostHandshakeLocked(handshake.TypeNewSessionTicket, body, nil)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "ticket sent", "sent NewSessionTicket (%d bytes)", slog.Int("size", len(ticket)))
	}
}

// sendPostHandshakeLocked sends a handshake message after the handshake,
// and keeps it for retransmission until the peer acknowledges it; onAcked,
// if not nil, runs then. One sent while another waits joins its flight.
// c.in is held.
func (c *Conn) sendPostHandshakeLocked(typ handshake.Type, body []byte, onAcked func()) error {
	return c.postHandshakeLocked(typ, body, onAcked, true)
}

// postHandshakeLocked is sendPostHandshakeLocked; without transmit, the
// message only joins the flight, for the caller to send its own way (a
// probe, padded). c.in is held.
func (c *Conn) postHandshakeLocked(typ handshake.Type, body []byte, onAcked func(), transmit bool) error {
	p, a := c.p13, &c.in.acks
	c.out.Lock()
	item := fragment.Out{Epoch: c.out.dataEpoch, Type: typ, Seq: p.sendSeq, Body: body}
	p.sendSeq++
	if a.wait {
		c.out.flight = append(c.out.flight, item)
	} else {
		c.out.flight, c.out.retransmits = []fragment.Out{item}, 0
		c.out.resetSent()
	}
	var err error
	if transmit {
		err = c.transmitFlightLocked()
	} else {
		c.in.flightSentAt = time.Now() // the ACK timer runs from the caller's send
	}
	c.out.Unlock()
	if !a.wait {
		c.awaitACKLocked(newRetransmitTimer(c.config.retransmitTimeout()), onAcked)
	} else if onAcked != nil {
		prev := a.onAcked
		a.onAcked = func() {
			if prev != nil {
				prev()
			}
			onAcked()
		}
	}
	c.armTimerLocked()
	return err
}

// ticketReceived keeps the server's NewSessionTicket in the client's
// session cache, with the PSK it stands for (RFC 8446 §4.6.1). c.in is
// held.
func (c *Conn) ticketReceived(t *handshake.NewSessionTicket13) {
	cfg, p := c.config, c.p13
	if !c.isClient || cfg.ClientSessionCache == nil || cfg.SessionTicketsDisabled || t.Lifetime == 0 || p.resumption == nil {
		return
	}
	h := p.suite.hash
	st := &ClientSessionState{ticket: append([]byte(nil), t.Ticket...), ageAdd: t.AgeAdd}
	st.s = session{vers: VersionDTLS13, suite: p.suite.id, serverName: cfg.ServerName, created: cfg.now(),
		peerCerts: c.state.PeerCertificates, chains: c.state.VerifiedChains, identity: c.state.PSKIdentity}
	copy(st.s.master[:], tls13.ResumptionPSK(h, p.resumption, t.Nonce))
	st.lifetime = time.Duration(min(t.Lifetime, uint32(maxTicketLifetime13/time.Second))) * time.Second
	cfg.ClientSessionCache.Put(p.sessionKey, st)
	if cfg.logs(slog.LevelDebug) {
		cfg.event(slog.LevelDebug, "ticket received", "received NewSessionTicket (%d bytes, lifetime %ds)",
			slog.Int("size", len(t.Ticket)), slog.Int("lifetime", int(t.Lifetime)))
	}
}

// offerTicket13 looks for a DTLS 1.3 session to resume in the client's
// cache, and offers its ticket as a PSK identity (RFC 8446 §4.2.11), in
// place of an external PSK. It reports whether it offered one.
func (hs *clientHandshake) offerTicket13(ext *handshake.Extensions) bool {
	cfg := hs.c.config
	if cfg.ClientSessionCache == nil || cfg.SessionTicketsDisabled {
		return false
	}
	st, ok := cfg.ClientSessionCache.Get(hs.sessionKey())
	if !ok || st == nil || st.s.vers != VersionDTLS13 || len(st.ticket) == 0 {
		return false
	}
	s := suite13ByID(st.s.suite)
	now := cfg.now()
	age := now.Sub(st.s.created)
	if s == nil || age < 0 || age >= min(st.lifetime, cfg.sessionLifetime()) {
		return false
	}
	c13 := hs.c13
	c13.ticket, c13.psk, c13.pskHash = st, st.s.master[:s.hash.Size()], s.hash
	ext.PSKModes = []uint8{pskModeDHE}
	ext.PSKIdentities = []handshake.PSKIdentity{{Identity: st.ticket, ObfuscatedTicketAge: uint32(age/time.Millisecond) + st.ageAdd}}
	ext.PSKBinders = [][]byte{make([]byte, s.hash.Size())}
	return true
}

// pskHashOf returns the hash of the PSK a client offers: its session's
// suite's for a ticket, SHA-256 for an external PSK.
func (c13 *client13) pskHashOf() crypto.Hash {
	if c13.pskHash != 0 {
		return c13.pskHash
	}
	return pskHash
}
