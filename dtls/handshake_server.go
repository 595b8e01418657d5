package dtls

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// serverHandshake is the state of one server handshake (RFC 6347 §4.2.4,
// flights 2, 4 and 6). It takes whole datagrams until a ClientHello with a
// valid cookie arrives (clientHelloDatagram, which sends flight 4), then
// the client's messages in order: clientCertificate, clientKeyExchange,
// certificateVerify, clientFinished (which sends flight 6).
type serverHandshake struct {
	hsBase
	gate           *HelloGate // reassembles a fragmented ClientHello
	ch             *handshake.ClientHello
	sh             *handshake.ServerHello
	ems            bool
	cert           *tls.Certificate
	curve          tls.CurveID
	sigAlg         uint16
	ecdhKey        *ecdh.PrivateKey
	identity       []byte
	preMaster      []byte
	sessionHash    []byte
	sessionHashBuf [maxTranscriptHash]byte
	master         []byte
	peerCerts      []*x509.Certificate
	chains         [][]*x509.Certificate
	resumed        *session // the session an abbreviated handshake resumes
	sessionID      [sessionIDLen]byte
	certs          []tls.Certificate // those we may present: Config.Certificates or GetCertificate's
	certsOwned     bool              // GetCertificate's: its encoding is not kept
	issueTicket    bool              // a NewSessionTicket goes before our ChangeCipherSpec
	renewTicket    bool              // the client's ticket is to be replaced
	byTicket       bool              // the session resumed came in a ticket
	s13            *server13         // DTLS 1.3's state, when chosen
}

func newServerHandshake(c *Conn, now time.Time) *serverHandshake {
	hs := &serverHandshake{}
	hs.init(c, now)
	hs.initial, hs.server = hs.clientHelloDatagram, hs
	return hs
}

// clientHelloDatagram takes a datagram before the handshake has begun: a
// ClientHello with a valid cookie begins it; one without is answered with
// a HelloVerifyRequest and leaves no state (RFC 6347 §4.2.1); anything
// else is dropped.
func (hs *serverHandshake) clientHelloDatagram(d []byte) error {
	c := hs.c
	if hs.gate == nil {
		hs.gate = NewHelloGate(c.config, 1)
	}
	v := hs.gate.Check(d, addrPortOf(c.link.RemoteAddr()))
	reply, ok := v.Reply, v.Accept
	if reply != nil {
		switch {
		case !c.config.logs(slog.LevelDebug):
		case v.Retry:
			c.config.event(slog.LevelDebug, "HelloRetryRequest sent", "sent HelloRetryRequest with a cookie (%d bytes)",
				slog.Int("size", len(reply)))
		default:
			c.config.event(slog.LevelDebug, "HelloVerifyRequest sent", "sent HelloVerifyRequest (%d bytes)",
				slog.Int("size", len(reply)))
		}
		id, _ := ParseRecordID(reply)
		c.out.Lock()
		_ = c.link.WriteDatagram(reply, id) // never retransmitted; the client's timer covers loss
		c.out.Unlock()
	}
	if !ok {
		if reply == nil && c.config.logs(slog.LevelDebug) {
			c.config.event(slog.LevelDebug, "datagram dropped", "dropped a datagram that is no ClientHello, or a fragment of one (%d bytes)",
				slog.Int("size", len(d)))
		}
		return nil
	}
	hs.initial, hs.gate = nil, nil
	return hs.acceptClientHello(v.hello)
}

// acceptClientHello starts the handshake state from a verified ClientHello:
// our messages continue from its message_seq (RFC 6347 §4.2.2) and our
// records from its record sequence number, since a stateless
// HelloVerifyRequest may already have used the numbers below it
// (RFC 6347 §4.2.1). Flight 4 goes out, and the rest of the datagram is
// processed as usual.
func (hs *serverHandshake) acceptClientHello(p *parsedHello) error {
	c := hs.c
	rh, hh, body := p.rh, p.hh, p.body
	hs.ch = p.ch
	c.out.Lock()
	c.out.cur.seq = max(c.out.cur.seq, rh.Seq)
	c.out.Unlock()
	c.in.reasm.SetNext(hh.MessageSeq + 1)
	hs.sendSeq = hh.MessageSeq
	hs.addTranscript(handshake.TypeClientHello, hh.MessageSeq, body)
	hs.progress()
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "message received", "received %s (message_seq %d, %d bytes)",
			slog.String("type", handshake.TypeClientHello.String()), slog.Int("message_seq", int(hh.MessageSeq)), slog.Int("size", len(body)))
	}
	if err := hs.configForClient(); err != nil {
		return err
	}
	if err := hs.answerClientHello(); err != nil {
		return err
	}
	c.handleRecords(p.rest)
	return nil
}

// answerClientHello negotiates and sends the flight that answers the
// ClientHello: an abbreviated handshake's if it resumes a session, else
// flight 4.
func (hs *serverHandshake) answerClientHello() error {
	c := hs.c
	if c.config.offers13(hs.ch) && !hs.renegotiating() {
		return hs.answer13()
	}
	if err := hs.negotiate(); err != nil {
		return err
	}
	c.in.reasm.SetLimits(smallLimits)
	if s := hs.resumable(); s != nil {
		return hs.resume(s)
	}
	hs.issueTicket = hs.ticketsOn()
	if err := hs.sendServerFlight(); err != nil {
		return err
	}
	hs.step = hs.clientKeyExchange
	if hs.wantsClientCert() {
		hs.step = hs.clientCertificate
		c.in.reasm.SetLimits(clientCertLimits)
	}
	return nil
}

// negotiate picks the version, suite, group and signature scheme.
func (hs *serverHandshake) negotiate() error {
	c, ch := hs.c, hs.ch
	hs.vers = 0
	for _, v := range []uint16{VersionDTLS12, VersionDTLS10} {
		if c.config.supportsVersion(v) && v >= ch.Version {
			hs.vers = v
			break
		}
	}
	if hs.vers == 0 {
		return c.sendAlert(AlertProtocolVersion, errors.New("dtls: client's version is not supported"))
	}
	if hs.renegotiating() && hs.vers != c.state.Version {
		return c.sendAlert(AlertProtocolVersion, errors.New("dtls: a renegotiation may not change the version"))
	}
	if !slices.Contains(ch.CompressionMethods, 0) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: client does not offer null compression"))
	}
	if err := hs.checkRenegotiationInfo(); err != nil {
		return err
	}
	var err error
	if hs.certs, hs.certsOwned, err = hs.serverCertificates(); err != nil {
		return err
	}
	for _, s := range mutualSuites(c.config.suites(), ch.CipherSuites) {
		if s.usableIn(hs.vers) && hs.canServe(s) {
			hs.suite = s
			break
		}
	}
	if hs.suite == nil {
		return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: no cipher suite in common with the client"))
	}
	hs.ems = ch.Extensions.ExtendedMasterSecret
	if !hs.ems && c.config.RequireExtendedMasterSecret {
		return c.sendAlert(AlertHandshakeFailure, errNoEMS)
	}
	hs.setVersion(hs.vers)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "negotiated", "negotiated %s with %s",
			slog.String("version", versionName(hs.vers)), slog.String("suite", hs.suite.name))
	}
	return nil
}

// canServe reports whether we have what suite s needs, and records it.
func (hs *serverHandshake) canServe(s *cipherSuite) bool {
	cfg, ext := hs.c.config, &hs.ch.Extensions
	switch s.kx {
	case kxPSK:
		return cfg.PSK != nil
	case kxECDHEPSK:
		return hs.canServeECDHEPSK()
	}
	if ext.PointFormats != nil && !slices.Contains(ext.PointFormats, 0) {
		return false
	}
	cert, pub := certFor(hs.certs, s.kx)
	if cert == nil {
		return false
	}
	if _, ed := pub.(ed25519.PublicKey); ed && hs.vers != VersionDTLS12 {
		return false // EdDSA needs signature_algorithms (RFC 8422 §5.1.3)
	}
	curve, ok := pickCurve(cfg.curves(), ext.SupportedGroups)
	if !ok {
		return false
	}
	if hs.vers == VersionDTLS12 {
		if hs.sigAlg, ok = pickSignature(pub, ext.SignatureAlgorithms); !ok {
			return false
		}
	}
	hs.cert, hs.curve = cert, curve
	return true
}

// sendServerFlight sends flight 4: ServerHello, [Certificate],
// [ServerKeyExchange], ServerHelloDone (RFC 5246 §7.4).
func (hs *serverHandshake) sendServerFlight() error {
	id, err := hs.newSessionID()
	if err != nil {
		return err
	}
	if err := hs.makeServerHello(id); err != nil {
		return err
	}
	body, err := hs.sh.Marshal()
	if err != nil {
		return err
	}
	items := []fragment.Out{hs.message(hs.ep, handshake.TypeServerHello, body)}
	if !hs.suite.psk() {
		if body, err = hs.certificateBody(); err != nil {
			return err
		}
		items = append(items, hs.message(hs.ep, handshake.TypeCertificate, body))
	}
	if body, err = hs.serverKeyExchange(); err != nil {
		return err
	}
	if body != nil {
		items = append(items, hs.message(hs.ep, handshake.TypeServerKeyExchange, body))
	}
	if hs.wantsClientCert() {
		if body, err = hs.certificateRequest(); err != nil {
			return err
		}
		items = append(items, hs.message(hs.ep, handshake.TypeCertificateRequest, body))
	}
	items = append(items, hs.message(hs.ep, handshake.TypeServerHelloDone, nil))
	return hs.sendFlight(items, true)
}

// makeServerHello builds the ServerHello, with the session ID sessionID.
func (hs *serverHandshake) makeServerHello(sessionID []byte) error {
	cext := &hs.ch.Extensions
	sh := &handshake.ServerHello{Version: hs.vers, CipherSuite: hs.suite.id, SessionID: sessionID}
	if _, err := io.ReadFull(hs.c.config.rand(), sh.Random[:]); err != nil {
		return err
	}
	if hs.c.config.supportsVersion(VersionDTLS13) {
		// A DTLS 1.3 server that chose an earlier version says so, for a
		// client that offered 1.3 to detect a downgrade (RFC 8446 §4.1.3).
		copy(sh.Random[24:], downgradeDTLS12)
		if hs.vers == VersionDTLS10 {
			copy(sh.Random[24:], downgradeDTLS10)
		}
	}
	sh.Extensions.ExtendedMasterSecret = hs.ems
	sh.Extensions.HasSessionTicket = hs.issueTicket
	if cext.Heartbeat != 0 {
		// Answer in kind: we answer requests (RFC 6520 §2).
		sh.Extensions.Heartbeat = handshake.HeartbeatPeerAllowedToSend
		hs.c.hb.Lock()
		hs.c.hb.peerMode = cext.Heartbeat
		hs.c.hb.Unlock()
	}
	sh.Extensions.SecureRenegotiation = hs.secureReneg
	if hs.renegotiating() {
		r := &hs.c.in.reneg
		sh.Extensions.RenegotiationInfo = append(r.clientFin[:], r.serverFin[:]...)
	}
	if hs.suite.ecdhe() && cext.PointFormats != nil {
		sh.Extensions.PointFormats = []uint8{0}
	}
	hs.sh = sh
	hs.answerSRTP(&sh.Extensions)
	hs.answerEncryptThenMAC(sh)
	if err := hs.answerALPN(sh); err != nil {
		return err
	}
	return hs.answerConnectionID(sh)
}

// serverKeyExchange builds the signed ECDHE parameters (RFC 8422 §5.4), or
// the PSK identity hint if one is configured (RFC 4279 §2).
func (hs *serverHandshake) serverKeyExchange() ([]byte, error) {
	cfg := hs.c.config
	if hs.suite.kx == kxECDHEPSK {
		return hs.ecdhePSKServerKeyExchange()
	}
	if hs.suite.kx == kxPSK {
		if len(cfg.PSKIdentityHint) == 0 {
			return nil, nil
		}
		return (&handshake.ServerKeyExchangePSK{IdentityHint: cfg.PSKIdentityHint}).Marshal()
	}
	key, err := curveFor(hs.curve).GenerateKey(cfg.rand())
	if err != nil {
		return nil, err
	}
	hs.ecdhKey = key
	ske := &handshake.ServerKeyExchangeECDHE{Curve: uint16(hs.curve), PublicKey: key.PublicKey().Bytes(), SigAlg: hs.sigAlg}
	signed := signedParams(hs.ch.Random[:], hs.sh.Random[:], ske)
	signer := hs.cert.PrivateKey.(crypto.Signer)
	if ske.Signature, err = sign(cfg.rand(), signer, hs.vers, hs.sigAlg, signed); err != nil {
		return nil, hs.c.sendAlert(AlertInternalError, err)
	}
	return ske.Marshal(hs.vers == VersionDTLS12)
}

// clientKeyExchange takes the ClientKeyExchange (RFC 5246 §7.4.7). After a
// non-empty client Certificate a CertificateVerify follows; otherwise the
// keys can be derived now.
func (hs *serverHandshake) clientKeyExchange(m fragment.Message) error {
	if m.Type != handshake.TypeClientKeyExchange {
		return hs.unexpected(m, "ClientKeyExchange")
	}
	preMaster, err := hs.processClientKeyExchange(m)
	if err != nil {
		return err
	}
	hs.preMaster = preMaster
	if hs.ems {
		hs.sessionHash = hs.suite.transcriptHash(hs.sessionHashBuf[:0], hs.vers, hs.transcript)
	}
	if len(hs.peerCerts) > 0 {
		hs.step = hs.certificateVerify
		return nil
	}
	return hs.deriveKeys()
}

// deriveKeys computes the master secret (RFC 5246 §8.1, RFC 7627 §4) and
// arms the record layer with the keys; the client's Finished comes next.
func (hs *serverHandshake) deriveKeys() error {
	hs.master = hs.masterSecret(hs.preMaster, hs.ch.Random[:], hs.sh.Random[:], hs.sessionHash)
	hs.step = hs.clientFinished
	return hs.establishKeys(hs.master, hs.ch.Random[:], hs.sh.Random[:], false)
}

// clientFinished takes the client's Finished, checks it, and sends flight
// 6, which completes the handshake.
func (hs *serverHandshake) clientFinished(m fragment.Message) error {
	if err := hs.checkPeerFinished(m, hs.master, clientFinishedLabel, "client"); err != nil {
		return err
	}
	if err := hs.sendFinishedFlight(); err != nil {
		return err
	}
	return hs.complete()
}

// clientPSK returns the pre-shared key of the identity the client's
// ClientKeyExchange names, and records the identity (RFC 4279 §2, RFC 5489
// §2); an unknown one fails the handshake with unknown_psk_identity.
func (hs *serverHandshake) clientPSK(identity []byte) ([]byte, error) {
	psk, err := hs.c.config.PSK(identity)
	if err != nil || len(psk) == 0 {
		return nil, hs.c.sendAlert(AlertUnknownPSKIdentity, errors.New("dtls: unknown PSK identity"))
	}
	hs.identity = bytes.Clone(identity)
	return psk, nil
}

// processClientKeyExchange returns the premaster secret.
func (hs *serverHandshake) processClientKeyExchange(m fragment.Message) ([]byte, error) {
	c := hs.c
	if hs.suite.kx == kxECDHEPSK {
		return hs.ecdhePSKClientKeyExchange(m)
	}
	if hs.suite.kx == kxPSK {
		var cke handshake.ClientKeyExchangePSK
		if !cke.Unmarshal(m.Body) {
			return nil, hs.decodeError(m)
		}
		psk, err := hs.clientPSK(cke.Identity)
		if err != nil {
			return nil, err
		}
		return pskPremaster(psk), nil
	}
	var cke handshake.ClientKeyExchangeECDHE
	if !cke.Unmarshal(m.Body) {
		return nil, hs.decodeError(m)
	}
	pre, err := ecdheShared(hs.ecdhKey, cke.PublicKey)
	if err != nil {
		return nil, c.sendAlert(AlertIllegalParameter, err)
	}
	return pre, nil
}

// sendFinishedFlight sends flight 6, [NewSessionTicket], ChangeCipherSpec
// and Finished, and keeps it to answer a retransmitted flight 5 (RFC 6347
// §4.2.4, RFC 5077 §3.1).
func (hs *serverHandshake) sendFinishedFlight() error {
	items := make([]fragment.Out, 0, 3)
	if hs.issueTicket {
		items = append(items, hs.newSessionTicket(hs.newSession()))
	}
	fin := hs.finished(hs.master, serverFinishedLabel, hs.transcript)
	items = append(items, ccs(hs.ep), hs.message(hs.ep+1, handshake.TypeFinished, fin))
	return hs.sendFlight(items, false)
}

func (hs *serverHandshake) complete() error {
	c := hs.c
	st := ConnectionState{
		Version:              hs.vers,
		HandshakeComplete:    true,
		CipherSuite:          hs.suite.id,
		ServerName:           hs.ch.Extensions.ServerName,
		ExtendedMasterSecret: hs.ems,
		PeerCertificates:     hs.peerCerts,
		VerifiedChains:       hs.chains,
		PSKIdentity:          hs.identity,
		DidResume:            hs.resumed != nil,
		ConnectionID:         hs.cid.ownIfOn(),
		PeerConnectionID:     hs.cid.peerIfOn(),

		SRTPProtectionProfile: hs.srtp,
		SRTPMKI:               hs.srtpMKI,
		NegotiatedProtocol:    hs.alpn,
		ekm:                   hs.newExporter(hs.master, hs.ch.Random[:], hs.sh.Random[:], hs.ems),
	}
	if hs.resumed == nil && hs.ecdhKey != nil {
		st.CurveID = hs.curve
	}
	if err := hs.verifyConnection(&st); err != nil {
		return err
	}
	c.setState(st)

	hs.keepSession()
	hs.finish()
	return nil
}

// certificateBody returns the encoded Certificate message of hs.cert: kept
// by the Config for its own certificates, made anew for GetCertificate's.
func (hs *serverHandshake) certificateBody() ([]byte, error) {
	if hs.certsOwned {
		return (&handshake.Certificate{Certificates: hs.cert.Certificate}).Marshal()
	}
	return hs.c.config.certs().body(hs.cert)
}
