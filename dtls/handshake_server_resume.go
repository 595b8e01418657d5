package dtls

import (
	"bytes"
	"io"
	"log/slog"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// The server's side of resumption by session ID (RFC 5246 §7.4.1.2, RFC
// 4347 §4.2.4): a full handshake gives its session a fresh ID in the
// ServerHello and, once complete, the Config's session cache keeps it; a
// ClientHello that offers a session the cache keeps, and may resume, gets
// ServerHello, ChangeCipherSpec and Finished in one flight, which waits
// for the client's ChangeCipherSpec and Finished. The cookie exchange
// comes first either way (RFC 6347 §4.2.1).

// resumable returns the session the ClientHello offers, by ticket or by
// session ID, if the server may resume it now (mayResume). It notes
// whether a ticket is to be replaced.
func (hs *serverHandshake) resumable() *session {
	if !hs.ems {
		return nil
	}
	if s, renew := hs.ticketSession(); s != nil && hs.mayResume(s) {
		hs.renewTicket, hs.byTicket = renew, true
		return s
	}
	cache := hs.c.config.serverSessions()
	if cache == nil || len(hs.ch.SessionID) == 0 {
		return nil
	}
	s, ok := cache.get(hs.ch.SessionID)
	if !ok {
		return nil
	}
	if !s.fresh(hs.c.config.now(), hs.c.config.sessionLifetime()) {
		cache.forget(hs.ch.SessionID)
		return nil
	}
	if !hs.mayResume(s) {
		return nil
	}
	return s
}

// mayResume reports whether s may be resumed now: it is fresh, of the
// version just negotiated, its suite is offered by the client and allowed
// by the Config, the client offers the extended master secret (RFC 7627
// §5.3), and the server name is the session's (RFC 6066 §3).
func (hs *serverHandshake) mayResume(s *session) bool {
	cfg, ch := hs.c.config, hs.ch
	suite := suiteByID(s.suite)
	return s.fresh(cfg.now(), cfg.sessionLifetime()) &&
		s.vers == hs.vers && suite != nil && suite.usableIn(hs.vers) &&
		slices.Contains(ch.CipherSuites, s.suite) && slices.Contains(cfg.suites(), s.suite) &&
		s.serverName == ch.Extensions.ServerName
}

// resume sends the flight of an abbreviated handshake that resumes s:
// ServerHello with the session ID the client offered, a NewSessionTicket
// if the client's ticket is to be replaced, ChangeCipherSpec and Finished,
// under the keys of s's master secret and the randoms just exchanged.
func (hs *serverHandshake) resume(s *session) error {
	c := hs.c
	hs.suite, hs.resumed = suiteByID(s.suite), s
	hs.issueTicket = hs.renewTicket
	if c.config.logs(slog.LevelInfo) {
		by := "session ID"
		if hs.byTicket {
			by = "ticket"
		}
		c.config.event(slog.LevelInfo, "session resumed", "resuming a session of %s by %s",
			slog.String("suite", hs.suite.name), slog.String("by", by))
	}
	if err := hs.makeServerHello(hs.ch.SessionID); err != nil {
		return err
	}
	body, err := hs.sh.Marshal()
	if err != nil {
		return err
	}
	items := []fragment.Out{hs.message(hs.ep, handshake.TypeServerHello, body)}
	if hs.issueTicket {
		items = append(items, hs.newSessionTicket(s))
	}
	copy(hs.masterBuf[:], s.master[:])
	hs.master = hs.masterBuf[:]
	if err := hs.establishKeys(hs.master, hs.ch.Random[:], hs.sh.Random[:], false); err != nil {
		return err
	}
	fin := hs.finished(hs.master, serverFinishedLabel, hs.transcript)
	items = append(items, ccs(hs.ep), hs.message(hs.ep+1, handshake.TypeFinished, fin))
	hs.step = hs.clientFinishedResumed
	return hs.sendFlight(items, true)
}

// clientFinishedResumed takes the client's Finished, which completes an
// abbreviated handshake.
func (hs *serverHandshake) clientFinishedResumed(m fragment.Message) error {
	if err := hs.checkPeerFinished(m, hs.master, clientFinishedLabel, "client"); err != nil {
		return err
	}
	hs.peerCerts, hs.chains, hs.identity = hs.resumed.peerCerts, hs.resumed.chains, hs.resumed.identity
	return hs.complete()
}

// newSessionID returns the session ID of a full handshake: a fresh random
// one if the session may be resumed by ID, with the extended master secret
// and a session cache, and gets no ticket; else none. A renegotiation's
// session gets none: the client keeps the session it had.
func (hs *serverHandshake) newSessionID() ([]byte, error) {
	if !hs.ems || hs.issueTicket || hs.renegotiating() || hs.c.config.serverSessions() == nil {
		return nil, nil
	}
	if _, err := io.ReadFull(hs.c.config.rand(), hs.sessionID[:]); err != nil {
		return nil, err
	}
	return hs.sessionID[:], nil
}

// keepSession puts the session of a completed full handshake in the
// Config's session cache, if it has an ID.
func (hs *serverHandshake) keepSession() {
	cache := hs.c.config.serverSessions()
	if cache == nil || hs.resumed != nil || len(hs.sh.SessionID) != sessionIDLen {
		return
	}
	cache.put(hs.sessionID, hs.newSession())
}

// newSession returns the session of a full handshake that is completing.
func (hs *serverHandshake) newSession() *session {
	s := &session{
		vers: hs.vers, suite: hs.suite.id, serverName: hs.ch.Extensions.ServerName,
		peerCerts: hs.peerCerts, chains: hs.chains, identity: bytes.Clone(hs.identity),
		created: hs.c.config.now(),
	}
	copy(s.master[:], hs.master)
	return s
}
