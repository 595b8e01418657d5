package dtls

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// server13 is a server's DTLS 1.3 state (RFC 9147 §5, RFC 8446 §4).
type server13 struct {
	choice   choice13
	tr       transcript13
	k        schedule13
	psk      []byte // the PSK the client's binder proved, or nil
	identity []byte
	cert     *tls.Certificate
	sigAlg   uint16
	resumed  *sessionState // the session a ticket resumes, or nil
}

// answer13 answers a ClientHello that offers DTLS 1.3, which the cookie
// exchange accepted: ServerHello in epoch 0, then EncryptedExtensions,
// CertificateRequest if we ask for one, Certificate, CertificateVerify and
// Finished in epoch 2, one flight (RFC 8446 §2).
func (hs *serverHandshake) answer13() error {
	c, ch := hs.c, hs.ch
	if len(ch.Cookie) != 0 || !bytes.Equal(ch.CompressionMethods, []byte{0}) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: a DTLS 1.3 ClientHello with a legacy cookie or compression"))
	}
	cs, ok := c.config.choose13(ch)
	if !ok || cs.share == nil {
		return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: no DTLS 1.3 cipher suite or group in common with the client"))
	}
	s13 := &server13{choice: cs, tr: transcript13{h: cs.suite.hash}}
	hs.s13 = s13
	if err := hs.continueAfterRetry13(); err != nil {
		return err
	}
	if err := hs.acceptPSK13(); err != nil {
		return err
	}
	if s13.psk == nil {
		if err := hs.pickCertificate13(); err != nil {
			return err
		}
	}
	hs.setVersion13()
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "negotiated", "negotiated %s with %s",
			slog.String("version", versionName(VersionDTLS13)), slog.String("suite", cs.suite.name))
	}
	return hs.sendServerFlight13()
}

// continueAfterRetry13 starts the transcript where a stateless
// HelloRetryRequest left it, if the ClientHello answers one: the
// message_hash of the first ClientHello, whose hash the cookie kept, and
// the HelloRetryRequest, built again from the cookie (RFC 8446 §4.4.1).
func (hs *serverHandshake) continueAfterRetry13() error {
	c, s13 := hs.c, hs.s13
	b := hs.ch.Extensions.Cookie
	if len(b) == 0 {
		return nil
	}
	k, ok := c.config.openCookie13(b, addrPortOf(c.link.RemoteAddr()))
	if !ok || k.suite != s13.choice.suite.id || k.group != s13.choice.group {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: the ClientHello's cookie is not ours"))
	}
	hrr, err := helloRetryRequest13(hs.ch, &k, b)
	if err != nil {
		return err
	}
	s13.tr.prefix = tlsMessage(messageHashOf(s13.choice.suite.hash, k.chHash), handshake.TypeServerHello, hrr)
	return nil
}

// acceptPSK13 takes the client's external PSK if we know its identity and
// its binder proves the key (RFC 8446 §4.2.11): with psk_dhe_ke, the only
// mode served. A wrong binder is fatal.
func (hs *serverHandshake) acceptPSK13() error {
	c, s13, ext := hs.c, hs.s13, &hs.ch.Extensions
	if len(ext.PSKIdentities) == 0 || !slices.Contains(ext.PSKModes, pskModeDHE) {
		return nil
	}
	id := ext.PSKIdentities[0].Identity
	h := s13.choice.suite.hash
	psk, external := hs.ticketPSK13(id), false
	if psk == nil {
		if c.config.PSK == nil || h != pskHash {
			return nil
		}
		if k, err := c.config.PSK(id); err == nil && len(k) > 0 {
			psk, external = k, true
		}
	}
	if psk == nil {
		return nil // unknown identity: a certificate, if we have one
	}
	var k schedule13
	if err := k.start(h, psk); err != nil {
		return err
	}
	want := finishedMAC(h, k.binderKey(external), hs.binderHash13())
	if len(ext.PSKBinders) == 0 || !hmac.Equal(ext.PSKBinders[0], want) {
		return c.sendAlert(AlertDecryptError, errors.New("dtls: the client's PSK binder is wrong"))
	}
	s13.psk = psk
	if external {
		s13.identity, s13.resumed = bytes.Clone(id), nil
	} else if c.config.logs(slog.LevelInfo) {
		c.config.event(slog.LevelInfo, "session resumed", "resuming a session by %s", slog.String("by", "ticket"))
	}
	return nil
}

// ticketPSK13 returns the PSK of a DTLS 1.3 session that identity, a
// ticket of ours, holds, if the session may be resumed with the suite
// chosen: its hash is the PSK's (RFC 8446 §4.2.11), and it is not older
// than its lifetime. The session is kept in s13.resumed.
func (hs *serverHandshake) ticketPSK13(identity []byte) []byte {
	c, s13 := hs.c, hs.s13
	if c.config.SessionTicketsDisabled {
		return nil
	}
	raw, _, err := c.config.openTicket(identity)
	if err != nil {
		return nil
	}
	st := new(sessionState)
	if !st.unmarshal(raw) || st.vers != VersionDTLS13 {
		return nil
	}
	s := suite13ByID(st.suite)
	now, created := c.config.now(), st.createdTime()
	if s == nil || s.hash != s13.choice.suite.hash || now.Before(created) ||
		now.Sub(created) >= min(c.config.sessionLifetime(), maxTicketLifetime13) {
		return nil
	}
	s13.resumed = st
	return st.master[:s.hash.Size()]
}

// binderHash13 returns the hash a PSK binder covers: the transcript before
// the ClientHello, and the ClientHello up to its binders (RFC 8446
// §4.2.11.2), whose length the header gives whole.
func (hs *serverHandshake) binderHash13() []byte {
	s13 := hs.s13
	body := hs.transcript[handshake.HeaderLen:] // the ClientHello alone
	n := 2
	for _, b := range hs.ch.Extensions.PSKBinders {
		n += 1 + len(b)
	}
	d := s13.choice.suite.hash.New()
	d.Write(s13.tr.prefix)
	d.Write([]byte{byte(handshake.TypeClientHello), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))})
	d.Write(body[:max(len(body)-n, 0)])
	return d.Sum(nil)
}

// pickCertificate13 chooses our certificate and signature scheme among
// the client's signature_algorithms (RFC 8446 §4.4.2.2).
func (hs *serverHandshake) pickCertificate13() error {
	c, s13 := hs.c, hs.s13
	certs, owned, err := hs.serverCertificates()
	if err != nil {
		return err
	}
	hs.certs, hs.certsOwned = certs, owned
	for i := range certs {
		signer, ok := certs[i].PrivateKey.(crypto.Signer)
		if !ok || len(certs[i].Certificate) == 0 {
			continue
		}
		if alg, ok := pickSignature13(signer.Public(), hs.ch.Extensions.SignatureAlgorithms); ok {
			s13.cert, s13.sigAlg = &certs[i], alg
			return nil
		}
	}
	return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: no certificate of ours fits the client's signature algorithms"))
}

// sendServerFlight13 sends the server's flight and derives every key of
// the handshake.
func (hs *serverHandshake) sendServerFlight13() error {
	c, s13 := hs.c, hs.s13
	body, shared, err := hs.serverHello13()
	if err != nil {
		return err
	}
	items := []fragment.Out{hs.message(0, handshake.TypeServerHello, body)}
	if err := s13.k.start(s13.choice.suite.hash, s13.psk); err != nil {
		return err
	}
	if err := s13.k.handshake(shared, s13.tr.sum(hs.transcript)); err != nil {
		return err
	}
	if err := hs.installHandshakeKeys13(s13.choice.suite, &s13.k, false); err != nil {
		return err
	}
	hs.logKeys13(hs.ch.Random[:], &s13.k)
	more, err := hs.encryptedMessages13()
	if err != nil {
		return err
	}
	items = append(items, more...)
	fin := finishedMAC(s13.tr.h, s13.k.sHS, s13.tr.sum(hs.transcript))
	copy(hs.ownFin[:], fin)
	items = append(items, hs.message(2, handshake.TypeFinished, fin))
	if err := s13.k.application(s13.tr.sum(hs.transcript)); err != nil {
		return err
	}
	hs.logAppKeys13(hs.ch.Random[:], &s13.k)
	c.in.reasm.SetLimits(smallLimits)
	hs.step = hs.clientFinished13
	if hs.wantsClientCert13() {
		c.in.reasm.SetLimits(clientCertLimits)
		hs.step = hs.clientCertificate13
	}
	return hs.sendFlight(items, true)
}

// serverHello13 builds our ServerHello and computes the shared secret.
func (hs *serverHandshake) serverHello13() (body, shared []byte, err error) {
	c, s13 := hs.c, hs.s13
	var share []byte
	if share, shared, err = serverShare13(s13.choice.group, s13.choice.share, c.config.rand()); err != nil {
		return nil, nil, c.sendAlert(AlertIllegalParameter, err)
	}
	sh := &handshake.ServerHello{Version: VersionDTLS12, SessionID: hs.ch.SessionID, CipherSuite: s13.choice.suite.id}
	if _, err := io.ReadFull(c.config.rand(), sh.Random[:]); err != nil {
		return nil, nil, err
	}
	ext := &sh.Extensions
	ext.SelectedVersion = VersionDTLS13
	ext.ServerShare = handshake.KeyShare{Group: s13.choice.group, Data: share}
	if s13.psk != nil {
		ext.HasSelectedIdentity, ext.SelectedIdentity = true, 0
	}
	if err := hs.answerConnectionID(sh); err != nil {
		return nil, nil, err
	}
	body, err = sh.Marshal()
	return body, shared, err
}

// encryptedMessages13 builds EncryptedExtensions and, without a PSK, our
// Certificate and CertificateVerify (RFC 8446 §4.3.1, §4.4.2, §4.4.3).
func (hs *serverHandshake) encryptedMessages13() ([]fragment.Out, error) {
	s13 := hs.s13
	var ee handshake.EncryptedExtensions
	if err := hs.answerALPN13(&ee.Extensions); err != nil {
		return nil, err
	}
	hs.answerSRTP(&ee.Extensions)
	body, err := ee.Marshal()
	if err != nil {
		return nil, err
	}
	// The ServerHello goes alone, in a small datagram, before the rest:
	// on a path that drops the large ones, the client still gets the keys
	// to acknowledge what does arrive, which tells us the size at once.
	eeOut := hs.message(2, handshake.TypeEncryptedExtensions, body)
	eeOut.NewDatagram = true
	items := []fragment.Out{eeOut}
	if s13.psk != nil {
		return items, nil
	}
	if hs.wantsClientCert13() {
		cr, err := hs.certificateRequest13()
		if err != nil {
			return nil, err
		}
		items = append(items, cr)
	}
	if body, err = certificate13(s13.cert.Certificate); err != nil {
		return nil, err
	}
	items = append(items, hs.message(2, handshake.TypeCertificate, body))
	if body, err = hs.certificateVerify13(s13.cert, s13.sigAlg, &s13.tr, true); err != nil {
		return nil, err
	}
	return append(items, hs.message(2, handshake.TypeCertificateVerify, body)), nil
}

// answerALPN13 chooses the application protocol (RFC 7301 §3.2).
func (hs *serverHandshake) answerALPN13(ext *handshake.Extensions) error {
	offered, ours := hs.ch.Extensions.ALPNProtocols, hs.c.config.NextProtos
	if len(offered) == 0 || len(ours) == 0 {
		return nil
	}
	for _, p := range ours {
		if slices.Contains(offered, p) {
			hs.alpn, ext.ALPNProtocols = p, []string{p}
			return nil
		}
	}
	return hs.c.sendAlert(AlertNoApplicationProtocol, errors.New("dtls: the client offers no application protocol of ours"))
}

// clientFinished13 checks the client's Finished, acknowledges its flight
// (RFC 9147 §5.8.4: the server's ACK is what ends the client's
// retransmissions), and completes.
func (hs *serverHandshake) clientFinished13(m fragment.Message) error {
	c, s13 := hs.c, hs.s13
	if err := hs.checkFinished13(m, s13.k.cHS, &s13.tr); err != nil {
		return err
	}
	if err := hs.installApplicationKeys13(s13.choice.suite, &s13.k, false); err != nil {
		return err
	}
	c.sendACKLocked()
	st := ConnectionState{
		Version:            VersionDTLS13,
		HandshakeComplete:  true,
		CipherSuite:        s13.choice.suite.id,
		ServerName:         hs.ch.Extensions.ServerName,
		PSKIdentity:        s13.identity,
		NegotiatedProtocol: hs.alpn,
		PeerCertificates:   hs.peerCerts,
		VerifiedChains:     hs.chains,
		CurveID:            tls.CurveID(s13.choice.group),
		ConnectionID:       hs.cid.ownIfOn(),
		PeerConnectionID:   hs.cid.peerIfOn(),

		SRTPProtectionProfile: hs.srtp,
		SRTPMKI:               hs.srtpMKI,
		ekm:                   &exporter{hash: s13.choice.suite.hash, secret: s13.k.exporter},
	}
	if r := s13.resumed; r != nil {
		st.DidResume, st.PSKIdentity = true, r.identity
	}
	if err := hs.verifyConnection(&st); err != nil {
		return err
	}
	c.setState(st)
	res := tls13.DeriveSecret(s13.choice.suite.hash, s13.k.main, "res master", s13.tr.sum(hs.transcript))
	hs.finish13(s13.choice.suite, s13.k.sAP, s13.k.cAP)
	hs.issueTicket13(res)
	return nil
}
