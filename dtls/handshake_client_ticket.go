package dtls

import (
	"bytes"
	"errors"
	"log/slog"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// The client's side of session tickets (RFC 5077 §3): a ServerHello with
// the SessionTicket extension promises a NewSessionTicket before the
// server's ChangeCipherSpec, in a full handshake's last flight or in an
// abbreviated one's; the ticket is kept with the session in the
// ClientSessionCache, and offered next time.

// checkTicketExtension checks the ServerHello's SessionTicket extension:
// only in answer to ours, and empty (RFC 5077 §3.2).
func (hs *clientHandshake) checkTicketExtension(sh *handshake.ServerHello) error {
	ext := &sh.Extensions
	if !ext.HasSessionTicket {
		return nil
	}
	if !hs.hello.Extensions.HasSessionTicket {
		return hs.c.sendAlert(AlertUnsupportedExtension, errors.New("dtls: server sent a SessionTicket extension we did not ask for"))
	}
	if len(ext.SessionTicket) != 0 {
		return hs.c.sendAlert(AlertDecodeError, errors.New("dtls: server's SessionTicket extension is not empty"))
	}
	hs.expectTicket, hs.plainTicket = true, true
	return nil
}

// ticketThen returns the step that takes the NewSessionTicket the
// ServerHello promised and then hands on to next, or next if it promised
// none.
func (hs *clientHandshake) ticketThen(next func(fragment.Message) error) func(fragment.Message) error {
	if !hs.expectTicket {
		return next
	}
	hs.afterTicket = next
	return hs.newSessionTicket
}

// newSessionTicket takes the NewSessionTicket (RFC 5077 §3.3). An empty
// ticket says that the server gives none after all.
func (hs *clientHandshake) newSessionTicket(m fragment.Message) error {
	if m.Type != handshake.TypeNewSessionTicket {
		return hs.unexpected(m, "NewSessionTicket")
	}
	var nst handshake.NewSessionTicket
	if !nst.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	if len(nst.Ticket) > 0 {
		hs.ticket = bytes.Clone(nst.Ticket)
	}
	if hs.c.config.logs(slog.LevelDebug) {
		hs.c.config.event(slog.LevelDebug, "session ticket received", "received a session ticket (%d bytes, lifetime hint %d s)",
			slog.Int("size", len(nst.Ticket)), slog.Int("lifetime_hint", int(nst.LifetimeHint)))
	}
	hs.step, hs.plainTicket = hs.afterTicket, false
	return nil
}
