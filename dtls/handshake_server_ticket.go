package dtls

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// The server's side of session tickets (RFC 5077 §3): a client that sends
// the SessionTicket extension, empty, gets a ServerHello with it, empty,
// and a NewSessionTicket before the server's ChangeCipherSpec; one that
// sends a ticket that opens, and a session ID, gets an abbreviated
// handshake whose ServerHello echoes the session ID (§3.4). A session
// given a ticket gets no session ID, so the server keeps nothing of it.

// maxTicketLen bounds the tickets a server issues: a ClientHello must
// carry it back within the HelloGate's limit, and a session with a long
// client certificate chain would not fit. Such a session gets an empty
// ticket, which RFC 5077 §3.3 allows, and is not resumed.
const maxTicketLen = 2048

// ticketsOn reports whether this handshake deals in tickets: the client
// sent the SessionTicket extension, the Config has tickets on, and the
// session has the extended master secret (RFC 7627 §5.3).
func (hs *serverHandshake) ticketsOn() bool {
	return hs.ch.Extensions.HasSessionTicket && !hs.c.config.SessionTicketsDisabled && hs.ems
}

// ticketSession returns the session the ClientHello's ticket holds, if it
// opens with one of the Config's keys and the session may be resumed here,
// and whether a key other than the sealing one sealed it. A ticket comes
// with a session ID for the ServerHello to echo; without one the client
// could not tell that the server accepts it, and the handshake is a full
// one.
func (hs *serverHandshake) ticketSession() (*session, bool) {
	c, ext := hs.c, &hs.ch.Extensions
	if !hs.ticketsOn() || len(ext.SessionTicket) == 0 || len(hs.ch.SessionID) == 0 {
		return nil, false
	}
	data, renew, err := c.config.openTicket(ext.SessionTicket)
	if err != nil {
		if c.config.logs(slog.LevelDebug) {
			c.config.event(slog.LevelDebug, "session ticket refused", "refused a session ticket: %v", slog.Any("reason", err))
		}
		return nil, false
	}
	var st sessionState
	if !st.unmarshal(data) {
		return nil, false
	}
	s := &session{
		vers: st.vers, suite: st.suite, master: st.master, serverName: st.serverName,
		identity: st.identity, created: st.createdTime(),
	}
	if !hs.clientCertsOf(s, st.certs) {
		return nil, false
	}
	return s, renew
}

// clientCertsOf puts in s the client certificates of a ticket, verified
// against this server's ClientCAs as its ClientAuth asks: a server of a
// fleet trusts what it verifies itself. It reports false if they do not
// verify, or if ClientAuth requires a certificate the session lacks.
func (hs *serverHandshake) clientCertsOf(s *session, raw [][]byte) bool {
	c := hs.c
	auth := c.config.ClientAuth
	if len(raw) == 0 {
		required := auth == tls.RequireAnyClientCert || auth == tls.RequireAndVerifyClientCert
		suite := suiteByID(s.suite)
		return !required || suite != nil && suite.psk()
	}
	s.peerCerts = make([]*x509.Certificate, len(raw))
	for i, der := range raw {
		cert, err := c.config.certs().parse(der)
		if err != nil {
			return false
		}
		s.peerCerts[i] = cert
	}
	if auth != tls.VerifyClientCertIfGiven && auth != tls.RequireAndVerifyClientCert {
		return true
	}
	chains, err := c.verifyChain(raw, s.peerCerts, x509.VerifyOptions{
		Roots:     c.config.ClientCAs,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	s.chains = chains
	return err == nil
}

// newSessionTicket returns the NewSessionTicket item of a flight (RFC 5077
// §3.3), with the ticket of s, sent in epoch 0 before the
// ChangeCipherSpec. A session that cannot be sealed, or whose ticket would
// be too long, gets an empty ticket: the ServerHello promised the message.
func (hs *serverHandshake) newSessionTicket(s *session) fragment.Out {
	cfg := hs.c.config
	now := cfg.now()
	left := s.created.Add(cfg.sessionLifetime()).Sub(now)
	m := handshake.NewSessionTicket{LifetimeHint: uint32(max(left, 0) / time.Second)}
	state, err := stateOf(s).marshal()
	if err == nil {
		m.Ticket, err = cfg.sealTicket(state)
	}
	clear(state)
	if err != nil || len(m.Ticket) > maxTicketLen {
		if cfg.logs(slog.LevelWarn) {
			cfg.event(slog.LevelWarn, "empty session ticket sent", "sending an empty session ticket (sealed %d bytes, %v)",
				slog.Int("size", len(m.Ticket)), slog.Any("err", err))
		}
		m.Ticket = nil
	}
	if m.Ticket != nil && cfg.logs(slog.LevelDebug) {
		cfg.event(slog.LevelDebug, "session ticket sent", "sending a session ticket (%d bytes, lifetime hint %d s)",
			slog.Int("size", len(m.Ticket)), slog.Int("lifetime_hint", int(m.LifetimeHint)))
	}
	body, _ := m.Marshal() // the ticket is short
	return hs.message(hs.ep, handshake.TypeNewSessionTicket, body)
}
