package dtls

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// client13 is a client's DTLS 1.3 state (RFC 9147 §5, RFC 8446 §4), beside
// the DTLS 1.2 state of the same handshake: the ClientHello offers both
// until the ServerHello chooses.
type client13 struct {
	key    *keyShare13 // our key share
	group  uint16
	psk    []byte // the external PSK offered, or nil (RFC 8446 §4.2.11)
	suite  *suite13
	tr     transcript13
	k      schedule13
	usePSK bool // the server accepted the PSK
	sawHRR bool
	certs  []*x509.Certificate
	chains [][]*x509.Certificate
	// certReq is the server's CertificateRequest, if it sent one.
	certReq *handshake.CertificateRequest13
	// ticket is the session whose ticket the ClientHello offers, and
	// pskHash the hash of the PSK offered (zero for SHA-256); resumed says
	// that the server took the ticket.
	ticket  *ClientSessionState
	pskHash crypto.Hash
	resumed bool
}

// pskModeDHE is psk_dhe_ke (RFC 8446 §4.2.9): a PSK with an (EC)DHE
// exchange, for forward secrecy; psk_ke alone is not offered.
const pskModeDHE = 1

// offer13 adds to a ClientHello what offers DTLS 1.3: the version, its
// suites, a key share and, with a PSK, the PSK (RFC 8446 §4.1.2, RFC 9147
// §5.3). The legacy fields say DTLS 1.2.
func (hs *clientHandshake) offer13(ch *handshake.ClientHello) error {
	cfg := hs.c.config
	c13 := &client13{}
	hs.c13 = c13
	ch.Version = VersionDTLS12
	ext := &ch.Extensions
	ext.SupportedVersions = []uint16{VersionDTLS13}
	for _, v := range []uint16{VersionDTLS12, VersionDTLS10} {
		if cfg.supportsVersion(v) {
			ext.SupportedVersions = append(ext.SupportedVersions, v)
		}
	}
	ids := make([]uint16, 0, len(ch.CipherSuites)+len(suites13))
	for _, s := range cfg.suites13() {
		ids = append(ids, s.id)
	}
	if !cfg.supportsVersion(VersionDTLS12) {
		ch.CipherSuites = nil
	}
	ch.CipherSuites = append(ids, ch.CipherSuites...)
	ext.SupportedGroups = groups13(cfg.curves())
	ext.SignatureAlgorithms = signatureAlgorithms
	if len(ext.SupportedGroups) == 0 {
		return errors.New("dtls: no supported group in Config.CurvePreferences for DTLS 1.3")
	}
	if err := c13.newKeyShare(hs, ext.SupportedGroups[0]); err != nil {
		return err
	}
	ext.HasKeyShares, ext.KeyShares = true, []handshake.KeyShare{{Group: c13.group, Data: c13.key.public()}}
	if cfg.ClientSessionCache != nil && !cfg.SessionTicketsDisabled {
		// Without psk_key_exchange_modes a server sends no tickets (RFC
		// 8446 §4.2.9).
		ext.PSKModes = []uint8{pskModeDHE}
	}
	if hs.offerTicket13(ext) {
		// The session's PSK takes the place of an external one.
	} else if cfg.PSK != nil && len(cfg.PSKIdentity) > 0 {
		psk, err := cfg.PSK(nil)
		if err != nil {
			return err
		}
		c13.psk = psk
		ext.PSKModes = []uint8{pskModeDHE}
		ext.PSKIdentities = []handshake.PSKIdentity{{Identity: cfg.PSKIdentity}}
		ext.PSKBinders = [][]byte{make([]byte, 32)}
	}
	hs.c.in.note0 = true
	return nil
}

// newKeyShare makes our key for group.
func (c13 *client13) newKeyShare(hs *clientHandshake, group uint16) error {
	key, err := newKeyShare13(group, hs.c.config.rand())
	if err != nil {
		return err
	}
	c13.key, c13.group = key, group
	return nil
}

// drop13 forgets DTLS 1.3, which a server of an earlier version did not
// choose: what the ClientHello offered of it is left out of the checks of
// that server's answer. A HelloVerifyRequest leaves the ClientHello as it
// was, but for the cookie, as RFC 6347 §4.2.1 asks.
func (hs *clientHandshake) drop13() {
	if hs.c13 == nil {
		return
	}
	ch := hs.hello
	ch.CipherSuites = slices.DeleteFunc(ch.CipherSuites, func(id uint16) bool { return suite13ByID(id) != nil })
	ext := &ch.Extensions
	ext.SupportedVersions, ext.HasKeyShares, ext.KeyShares, ext.PSKModes = nil, false, nil, nil
	ext.PSKIdentities, ext.PSKBinders = nil, nil
	hs.c13, hs.c.in.note0 = nil, false
}

// bind13 writes the PSK binder into a marshalled ClientHello: the binders
// are its last bytes, one binder of the hash's length (RFC 8446
// §4.2.11.2). The binder covers the transcript before the ClientHello and
// the ClientHello up to the binders, its header giving the whole length.
func (hs *clientHandshake) bind13(body []byte) error {
	c13 := hs.c13
	if c13 == nil || c13.psk == nil {
		return nil
	}
	h := c13.pskHashOf()
	var k schedule13
	if err := k.start(h, c13.psk); err != nil {
		return err
	}
	n := h.Size()
	cut := len(body) - 2 - 1 - n
	if cut < 0 {
		return errors.New("dtls: internal error: ClientHello without room for its binder")
	}
	d := h.New()
	if c13.sawHRR {
		tr := transcript13{h: h, hrr: true}
		tr.write(d, hs.transcript) // message_hash and HelloRetryRequest
	}
	hdr := []byte{byte(handshake.TypeClientHello), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	d.Write(hdr)
	d.Write(body[:cut])
	copy(body[cut+3:], finishedMAC(h, k.binderKey(c13.ticket == nil), d.Sum(nil)))
	return nil
}

// reply13 takes the server's first message when DTLS 1.3 was offered: a
// HelloRetryRequest, or a ServerHello choosing DTLS 1.3. It reports false
// for a ServerHello of an earlier version, which the DTLS 1.2 steps take,
// after checking the downgrade sentinel (RFC 8446 §4.1.3).
func (hs *clientHandshake) reply13(m fragment.Message) (bool, error) {
	c := hs.c
	if m.Type != handshake.TypeServerHello {
		return false, nil
	}
	sh := new(handshake.ServerHello)
	if !sh.Unmarshal(m.Body) {
		return true, hs.decodeError(m)
	}
	if sh.Extensions.SelectedVersion != VersionDTLS13 {
		if bytes.HasSuffix(sh.Random[:], downgradeDTLS12) || bytes.HasSuffix(sh.Random[:], downgradeDTLS10) {
			return true, c.sendAlert(AlertIllegalParameter, errors.New("dtls: the server signals a downgrade from DTLS 1.3"))
		}
		hs.drop13()
		return false, nil
	}
	hs.old = nil
	if sh.IsHelloRetryRequest() {
		return true, hs.helloRetry13(sh)
	}
	return true, hs.serverHello13(sh)
}

// The downgrade sentinels of RFC 8446 §4.1.3, which RFC 9147 §5 keeps: the
// last eight bytes of the random of a server that supports DTLS 1.3 and
// chose an earlier version.
var (
	downgradeDTLS12 = []byte("DOWNGRD\x01")
	downgradeDTLS10 = []byte("DOWNGRD\x00")
)

// checkServerHello13 checks what a ServerHello or HelloRetryRequest of
// DTLS 1.3 chose (RFC 8446 §4.1.3, §4.1.4).
func (hs *clientHandshake) checkServerHello13(sh *handshake.ServerHello) (*suite13, error) {
	c := hs.c
	s := suite13ByID(sh.CipherSuite)
	switch {
	case s == nil || !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite):
		return nil, c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose a cipher suite we did not offer"))
	case sh.Version != VersionDTLS12 || sh.CompressionMethod != 0:
		return nil, c.sendAlert(AlertIllegalParameter, errors.New("dtls: malformed DTLS 1.3 ServerHello"))
	case !bytes.Equal(sh.SessionID, hs.hello.SessionID):
		return nil, c.sendAlert(AlertIllegalParameter, errors.New("dtls: server did not echo our legacy_session_id"))
	case hs.c13.suite != nil && s != hs.c13.suite:
		return nil, c.sendAlert(AlertIllegalParameter, errors.New("dtls: server changed its cipher suite after HelloRetryRequest"))
	}
	return s, nil
}

// helloRetry13 answers a HelloRetryRequest with a second ClientHello: a
// key share for the group the server asks for, and its cookie (RFC 8446
// §4.1.4). A second HelloRetryRequest is fatal.
func (hs *clientHandshake) helloRetry13(sh *handshake.ServerHello) error {
	c, c13 := hs.c, hs.c13
	if c13.sawHRR {
		return c.sendAlert(AlertUnexpectedMessage, errors.New("dtls: a second HelloRetryRequest"))
	}
	s, err := hs.checkServerHello13(sh)
	if err != nil {
		return err
	}
	c13.suite, c13.sawHRR, c13.tr = s, true, transcript13{h: s.hash, hrr: true}
	ext := &hs.hello.Extensions
	if g := sh.Extensions.HRRGroup; g != 0 {
		if g == c13.group || !slices.Contains(ext.SupportedGroups, g) {
			return c.sendAlert(AlertIllegalParameter, errors.New("dtls: HelloRetryRequest asks for a group we did not offer, or the one we sent"))
		}
		if err := c13.newKeyShare(hs, g); err != nil {
			return err
		}
		ext.HasKeyShares, ext.KeyShares = true, []handshake.KeyShare{{Group: g, Data: c13.key.public()}}
	} else if len(sh.Extensions.Cookie) == 0 {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: HelloRetryRequest that would change nothing"))
	}
	ext.Cookie = sh.Extensions.Cookie
	if c13.psk != nil && s.hash != c13.pskHashOf() {
		ext.PSKModes, ext.PSKIdentities, ext.PSKBinders, c13.psk = nil, nil, nil, nil
		hs.dropTicket13()
	}
	switch g := sh.Extensions.HRRGroup; {
	case !c.config.logs(slog.LevelDebug):
	case g == 0:
		c.config.event(slog.LevelDebug, "HelloRetryRequest received", "received HelloRetryRequest for %s with a cookie",
			slog.String("suite", s.name))
	default:
		c.config.event(slog.LevelDebug, "HelloRetryRequest received", "received HelloRetryRequest for %s asking for %s",
			slog.String("suite", s.name), slog.String("group", groupName(g)))
	}
	body, err := hs.hello.Marshal()
	if err != nil {
		return err
	}
	if err := hs.bind13(body); err != nil {
		return err
	}
	return hs.sendFlight([]fragment.Out{hs.message(0, handshake.TypeClientHello, body)}, true)
}

// serverHello13 takes a ServerHello that chose DTLS 1.3: the shared
// secret, the handshake keys of epoch 2 (RFC 9147 §6.1), and the steps of
// the server's encrypted messages.
func (hs *clientHandshake) serverHello13(sh *handshake.ServerHello) error {
	c, c13 := hs.c, hs.c13
	s, err := hs.checkServerHello13(sh)
	if err != nil {
		return err
	}
	if err := hs.takeConnectionID(sh); err != nil {
		return err
	}
	share := sh.Extensions.ServerShare
	if share.Group != c13.group {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server's key share is not for our group"))
	}
	var psk []byte
	if sh.Extensions.HasSelectedIdentity {
		if c13.psk == nil || sh.Extensions.SelectedIdentity != 0 || s.hash != c13.pskHashOf() {
			return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose a PSK we did not offer"))
		}
		psk, c13.usePSK, c13.resumed = c13.psk, true, c13.ticket != nil
		if c13.resumed && c.config.logs(slog.LevelInfo) {
			c.config.event(slog.LevelInfo, "session resumed", "resuming a session by %s", slog.String("by", "ticket"))
		}
	} else {
		hs.dropTicket13()
	}
	shared, err := c13.key.shared(share.Data)
	if err != nil {
		return c.sendAlert(AlertIllegalParameter, err)
	}
	c13.suite, c13.tr.h = s, s.hash
	if err := c13.k.start(s.hash, psk); err != nil {
		return err
	}
	if err := c13.k.handshake(shared, c13.tr.sum(hs.transcript)); err != nil {
		return err
	}
	hs.setVersion13()
	if err := hs.installHandshakeKeys13(c13.suite, &c13.k, true); err != nil {
		return err
	}
	hs.logKeys13(hs.hello.Random[:], &c13.k)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "negotiated", "negotiated %s with %s",
			slog.String("version", versionName(VersionDTLS13)), slog.String("suite", s.name))
	}
	hs.step = hs.encryptedExtensions13
	return nil
}

// encryptedExtensions13 takes the server's EncryptedExtensions (RFC 8446
// §4.3.1).
func (hs *clientHandshake) encryptedExtensions13(m fragment.Message) error {
	if m.Type != handshake.TypeEncryptedExtensions {
		return hs.unexpected(m, "EncryptedExtensions")
	}
	var ee handshake.EncryptedExtensions
	if !ee.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	if p := ee.Extensions.ALPNProtocols; len(p) > 0 {
		if len(p) != 1 || !slices.Contains(hs.c.config.NextProtos, p[0]) {
			return hs.c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose an application protocol we did not offer"))
		}
		hs.alpn = p[0]
	}
	if err := hs.takeSRTP(&ee.Extensions); err != nil {
		return err
	}
	hs.step = hs.serverCertificate13
	if hs.c13.usePSK {
		hs.step = hs.serverFinished13
	}
	return nil
}

// serverCertificate13 takes the server's CertificateRequest, if any, and
// its Certificate (RFC 8446 §4.3.2, §4.4.2).
func (hs *clientHandshake) serverCertificate13(m fragment.Message) error {
	c := hs.c
	if m.Type == handshake.TypeCertificateRequest && hs.c13.certReq == nil {
		req := new(handshake.CertificateRequest13)
		if !req.Unmarshal(m.Body) {
			return hs.decodeError(m)
		}
		hs.c13.certReq = req
		return nil
	}
	if m.Type != handshake.TypeCertificate {
		return hs.unexpected(m, "Certificate")
	}
	var cm handshake.Certificate13
	if !cm.Unmarshal(m.Body) || len(cm.Context) != 0 {
		return hs.decodeError(m)
	}
	certs, chains, err := c.verifyServerCertificates(cm.Certificates)
	if err != nil {
		return err
	}
	hs.c13.certs, hs.c13.chains = certs, chains
	hs.step = hs.serverCertificateVerify13
	return nil
}

// serverCertificateVerify13 checks the server's signature over the
// transcript (RFC 8446 §4.4.3).
func (hs *clientHandshake) serverCertificateVerify13(m fragment.Message) error {
	if err := hs.checkCertificateVerify13(m, hs.c13.certs[0].PublicKey, &hs.c13.tr, true); err != nil {
		return err
	}
	hs.step = hs.serverFinished13
	return nil
}

// serverFinished13 checks the server's Finished, derives the application
// keys, and sends our last flight: a certificate if asked for, and our
// Finished (RFC 8446 §4.4.4).
func (hs *clientHandshake) serverFinished13(m fragment.Message) error {
	c13 := hs.c13
	if err := hs.checkFinished13(m, c13.k.sHS, &c13.tr); err != nil {
		return err
	}
	if err := c13.k.application(c13.tr.sum(hs.transcript)); err != nil {
		return err
	}
	hs.logAppKeys13(hs.hello.Random[:], &c13.k)
	var items []fragment.Out
	if c13.certReq != nil {
		var err error
		if items, err = hs.clientCertificate13(); err != nil {
			return err
		}
	}
	fin := finishedMAC(c13.suite.hash, c13.k.cHS, c13.tr.sum(hs.transcript))
	copy(hs.ownFin[:], fin)
	items = append(items, hs.message(2, handshake.TypeFinished, fin))
	if err := hs.installApplicationKeys13(c13.suite, &c13.k, true); err != nil {
		return err
	}
	if err := hs.sendFlight(items, false); err != nil {
		return err
	}
	return hs.complete13()
}

// complete13 records the result of a DTLS 1.3 handshake and waits for the
// server's ACK of our Finished (RFC 9147 §5.8.4).
func (hs *clientHandshake) complete13() error {
	c, c13 := hs.c, hs.c13
	st := ConnectionState{
		Version:            VersionDTLS13,
		HandshakeComplete:  true,
		CipherSuite:        c13.suite.id,
		ServerName:         c.config.ServerName,
		PeerCertificates:   c13.certs,
		VerifiedChains:     c13.chains,
		NegotiatedProtocol: hs.alpn,
		CurveID:            tls.CurveID(c13.group),
		ConnectionID:       hs.cid.ownIfOn(),
		PeerConnectionID:   hs.cid.peerIfOn(),

		SRTPProtectionProfile: hs.srtp,
		SRTPMKI:               hs.srtpMKI,
		ekm:                   &exporter{hash: c13.suite.hash, secret: c13.k.exporter},
	}
	switch {
	case c13.resumed:
		s := &c13.ticket.s
		st.DidResume, st.PSKIdentity, st.PeerCertificates, st.VerifiedChains = true, s.identity, s.peerCerts, s.chains
	case c13.usePSK:
		st.PSKIdentity = c.config.PSKIdentity
	}
	if err := hs.verifyConnection(&st); err != nil {
		return err
	}
	c.setState(st)
	timer := hs.timer
	res := tls13.DeriveSecret(c13.suite.hash, c13.k.main, "res master", c13.tr.sum(hs.transcript))
	hs.finish13(c13.suite, c13.k.cAP, c13.k.sAP)
	c.p13.resumption, c.p13.sessionKey = res, hs.sessionKey()
	c.awaitACKLocked(timer, nil)
	c.armTimerLocked()
	return nil
}

// checkFinished13 checks that m is the peer's Finished under the traffic
// secret base, over the transcript before it (RFC 8446 §4.4.4).
func (hs *hsBase) checkFinished13(m fragment.Message, base []byte, tr *transcript13) error {
	if m.Type != handshake.TypeFinished {
		return hs.unexpected(m, "Finished")
	}
	want := finishedMAC(tr.h, base, tr.sum(hs.transcriptBefore(m)))
	if !hmac.Equal(m.Body, want) {
		return hs.c.sendAlert(AlertDecryptError, errBadFinished13)
	}
	return nil
}

// dropTicket13 forgets the session offered, which the server did not
// resume: its ticket is of no more use.
func (hs *clientHandshake) dropTicket13() {
	if c13 := hs.c13; c13 != nil && c13.ticket != nil {
		hs.c.config.ClientSessionCache.Put(hs.sessionKey(), nil)
		c13.ticket = nil
	}
}
