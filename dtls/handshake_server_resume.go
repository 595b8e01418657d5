package dtls

import (
	"bytes"
	"io"
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

// resumable returns the session the ClientHello offers, if the server
// keeps it and may resume it now: it is fresh, of the version just
// negotiated, its suite is offered by the client and allowed by the
// Config, the client offers the extended master secret (RFC 7627 §5.3),
// and the server name is the session's (RFC 6066 §3).
func (hs *serverHandshake) resumable() *session {
	c, ch := hs.c, hs.ch
	cache := c.config.serverSessions()
	if cache == nil || len(ch.SessionID) == 0 || !hs.ems {
		return nil
	}
	s, ok := cache.get(ch.SessionID)
	if !ok {
		return nil
	}
	if !s.fresh(c.config.now(), c.config.sessionLifetime()) {
		cache.forget(ch.SessionID)
		return nil
	}
	suite := suiteByID(s.suite)
	if s.vers != hs.vers || suite == nil || !suite.usableIn(hs.vers) ||
		!slices.Contains(ch.CipherSuites, s.suite) || !slices.Contains(c.config.suites(), s.suite) ||
		s.serverName != ch.Extensions.ServerName {
		return nil
	}
	return s
}

// resume sends the flight of an abbreviated handshake that resumes s:
// ServerHello with the session's ID, ChangeCipherSpec and Finished, under
// the keys of s's master secret and the randoms just exchanged.
func (hs *serverHandshake) resume(s *session) error {
	c := hs.c
	hs.suite, hs.resumed = suiteByID(s.suite), s
	if c.config.Trace != nil {
		c.config.tracef("resuming a session of %s", hs.suite.name)
	}
	if err := hs.makeServerHello(hs.ch.SessionID); err != nil {
		return err
	}
	body, err := hs.sh.Marshal()
	if err != nil {
		return err
	}
	items := []fragment.Out{hs.message(0, handshake.TypeServerHello, body)}
	copy(hs.masterBuf[:], s.master[:])
	hs.master = hs.masterBuf[:]
	if err := hs.establishKeys(hs.master, hs.ch.Random[:], hs.sh.Random[:], false); err != nil {
		return err
	}
	fin := hs.finished(hs.master, serverFinishedLabel, hs.transcript)
	items = append(items, ccs(0), hs.message(1, handshake.TypeFinished, fin))
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
	hs.complete()
	return nil
}

// newSessionID returns the session ID of a full handshake: a fresh random
// one if the session may be resumed, with the extended master secret and
// a session cache, else none.
func (hs *serverHandshake) newSessionID() ([]byte, error) {
	if !hs.ems || hs.c.config.serverSessions() == nil {
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
	s := &session{
		vers: hs.vers, suite: hs.suite.id, serverName: hs.ch.Extensions.ServerName,
		peerCerts: hs.peerCerts, chains: hs.chains, identity: bytes.Clone(hs.identity),
		created: hs.c.config.now(),
	}
	copy(s.master[:], hs.master)
	cache.put(hs.sessionID, s)
}
