package dtls

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// The client's side of resumption (RFC 5246 §7.4.1.2, RFC 5077 §3.4): the
// ClientHello offers the session the cache keeps for this server, by its
// ticket or its session ID; a ServerHello that echoes the ClientHello's
// session ID resumes it, and the server's [NewSessionTicket],
// ChangeCipherSpec and Finished follow at once; the client answers with
// its own, the handshake's last flight, which it keeps to answer the
// server's flight if that comes again (RFC 6347 §4.2.4). A ServerHello
// with another ID starts a full handshake, whose session is kept for the
// next time.

// sessionKey is the key of this server's session in the
// ClientSessionCache: the Config's ServerName, or the server's address.
func (hs *clientHandshake) sessionKey() string {
	if name := hs.c.config.ServerName; name != "" {
		return name
	}
	return hs.c.link.RemoteAddr().String()
}

// offerSession puts in ch the session the cache keeps for this server, if
// one may be resumed with ch's version and suites: its ticket, with a
// fresh session ID for the server to echo if it accepts it (RFC 5077
// §3.4), or else its session ID. With a cache and tickets on, ch asks for
// a ticket, empty if it has none to give.
func (hs *clientHandshake) offerSession(ch *handshake.ClientHello) error {
	cfg := hs.c.config
	if cfg.ClientSessionCache == nil {
		return nil
	}
	tickets := !cfg.SessionTicketsDisabled
	ch.Extensions.HasSessionTicket = tickets
	st, ok := cfg.ClientSessionCache.Get(hs.sessionKey())
	if !ok || st == nil {
		return nil
	}
	s := &st.s
	if !s.fresh(cfg.now(), cfg.sessionLifetime()) || !cfg.supportsVersion(s.vers) ||
		!slices.Contains(ch.CipherSuites, s.suite) {
		return nil
	}
	switch {
	case tickets && len(st.ticket) > 0:
		ch.Extensions.SessionTicket = st.ticket
		ch.SessionID = make([]byte, sessionIDLen)
		if _, err := io.ReadFull(cfg.rand(), ch.SessionID); err != nil {
			return err
		}
	case len(st.id) > 0:
		ch.SessionID = st.id
	default:
		return nil
	}
	hs.offered = st
	return nil
}

// resumes reports whether sh resumes the session offered, by echoing the
// ClientHello's session ID, and checks that it resumes it as it was: its
// version and suite, with the extended master secret (RFC 7627 §5.3).
func (hs *clientHandshake) resumes(sh *handshake.ServerHello) (bool, error) {
	st := hs.offered
	if st == nil || len(sh.SessionID) == 0 || !bytes.Equal(sh.SessionID, hs.hello.SessionID) {
		return false, nil
	}
	if sh.Version != st.s.vers || sh.CipherSuite != st.s.suite || !sh.Extensions.ExtendedMasterSecret {
		hs.forgetSession()
		return false, hs.c.sendAlert(AlertIllegalParameter, errors.New("dtls: server resumed a session with other parameters than the session's"))
	}
	return true, nil
}

// resume takes the session's master secret and arms the record layer with
// the keys of the randoms just exchanged; the server's Finished comes
// next.
func (hs *clientHandshake) resume() error {
	hs.resumed = true
	copy(hs.masterBuf[:], hs.offered.s.master[:])
	hs.master = hs.masterBuf[:]
	hs.certs, hs.chains, hs.identity = hs.offered.s.peerCerts, hs.offered.s.chains, hs.offered.s.identity
	hs.step = hs.ticketThen(hs.serverFinishedResumed)
	if hs.c.config.logs(slog.LevelInfo) {
		by := "session ID"
		if len(hs.hello.Extensions.SessionTicket) > 0 {
			by = "ticket"
		}
		hs.c.config.event(slog.LevelInfo, "session resumed", "resuming a session by %s", slog.String("by", by))
	}
	return hs.establishKeys(hs.master, hs.hello.Random[:], hs.sh.Random[:], true)
}

// serverFinishedResumed takes the server's Finished of an abbreviated
// handshake and sends ours, which completes it.
func (hs *clientHandshake) serverFinishedResumed(m fragment.Message) error {
	if err := hs.checkPeerFinished(m, hs.master, serverFinishedLabel, "server"); err != nil {
		hs.forgetSession()
		return err
	}
	mine := hs.finished(hs.master, clientFinishedLabel, hs.transcript)
	items := []fragment.Out{ccs(hs.ep), hs.message(hs.ep+1, handshake.TypeFinished, mine)}
	if err := hs.sendFlight(items, false); err != nil {
		return err
	}
	return hs.complete()
}

// keepSession puts the session in the cache: that of a full handshake, if
// the server gave it an ID or a ticket and it has the extended master
// secret; a resumed one again, if the server gave it a new ticket. A
// session offered and not resumed is replaced, or forgotten. A
// renegotiation, which offers none, leaves the cache as it is.
func (hs *clientHandshake) keepSession() {
	cfg := hs.c.config
	if cfg.ClientSessionCache == nil || hs.renegotiating() {
		return
	}
	if hs.resumed {
		if len(hs.ticket) > 0 {
			st := *hs.offered
			st.ticket = hs.ticket
			cfg.ClientSessionCache.Put(hs.sessionKey(), &st)
		}
		return
	}
	if !hs.ems || len(hs.sh.SessionID) == 0 && len(hs.ticket) == 0 {
		hs.forgetSession()
		return
	}
	st := &ClientSessionState{id: bytes.Clone(hs.sh.SessionID), ticket: hs.ticket, s: session{
		vers: hs.vers, suite: hs.suite.id, serverName: cfg.ServerName,
		peerCerts: hs.certs, chains: hs.chains, identity: bytes.Clone(hs.identity),
		created: cfg.now(),
	}}
	copy(st.s.master[:], hs.master)
	cfg.ClientSessionCache.Put(hs.sessionKey(), st)
}

// forgetSession removes the session offered from the cache: resuming it
// failed.
func (hs *clientHandshake) forgetSession() {
	if hs.offered != nil {
		hs.c.config.ClientSessionCache.Put(hs.sessionKey(), nil)
	}
}
