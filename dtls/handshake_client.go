package dtls

import (
	"bytes"
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

// errNoServerName refuses a client Config that would verify the server's
// certificate without a name to verify it for, as crypto/tls does.
var errNoServerName = errors.New("dtls: either ServerName or InsecureSkipVerify must be set in the Config: a certificate is verified for a name")

// errNoEMS refuses a peer without the extended master secret when
// Config.RequireExtendedMasterSecret is set.
var errNoEMS = errors.New("dtls: the peer does not support the extended master secret (RFC 7627), which Config requires")

// maxHelloVerifyRequests bounds how many cookies a client accepts in one
// handshake: a server that keeps asking is left to the handshake deadline.
const maxHelloVerifyRequests = 4

// clientHandshake is the state of one client handshake (RFC 6347 §4.2.4,
// flights 1, 3 and 5). Its steps take the server's messages in order:
// helloReply, serverCertificate, serverKeyExchange, certificateRequest,
// serverHelloDone (which sends flight 5), serverFinished.
type clientHandshake struct {
	hsBase
	hello   *handshake.ClientHello
	hvrs    int // HelloVerifyRequests answered
	sh      *handshake.ServerHello
	ems     bool
	certs   []*x509.Certificate
	chains  [][]*x509.Certificate
	kx      ecdheRun            // our side of the ECDHE exchange
	offered *ClientSessionState // the session the ClientHello offers, if any
	resumed bool                // the server resumed it
	// expectTicket says that the ServerHello promised a NewSessionTicket,
	// which comes before afterTicket's message; ticket is the one it gave.
	expectTicket bool
	afterTicket  func(fragment.Message) error
	ticket       []byte
	hint         []byte
	certReq      *handshake.CertificateRequest
	master       []byte
	identity     []byte
	preMaster    []byte
	c13          *client13 // DTLS 1.3's state while it is offered or chosen
}

func newClientHandshake(c *Conn, now time.Time) *clientHandshake {
	hs := &clientHandshake{}
	hs.init(c, now)
	return hs
}

// makeHello builds the ClientHello (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2).
func (hs *clientHandshake) makeHello() (*handshake.ClientHello, error) {
	cfg := hs.c.config
	ch := &handshake.ClientHello{Version: cfg.maxVersion(), CompressionMethods: []uint8{0}}
	if ch.Version == VersionDTLS13 {
		ch.Version = VersionDTLS12 // legacy_version (RFC 9147 §5.3)
	}
	if hs.renegotiating() {
		ch.Version = hs.c.state.Version
	}
	if _, err := io.ReadFull(cfg.rand(), ch.Random[:]); err != nil {
		return nil, err
	}
	// Without a name, any certificate the roots vouch for would pass: a
	// client that has no name to verify the server's certificate for
	// offers only its PSK suites, if it has a PSK.
	noName := cfg.ServerName == "" && !cfg.InsecureSkipVerify
	pskOnly := noName && cfg.PSK != nil
	ecdhe, certs := false, false
	for _, id := range cfg.suites() {
		s := suiteByID(id)
		if s == nil || !s.usableIn(ch.Version) || (s.psk() && cfg.PSK == nil) {
			continue
		}
		ecdhe, certs = ecdhe || s.ecdhe(), certs || !s.psk()
		if !pskOnly || s.psk() {
			ch.CipherSuites = append(ch.CipherSuites, id)
		}
	}
	if certs && noName && (!pskOnly || len(ch.CipherSuites) == 0) {
		return nil, errNoServerName
	}
	if len(ch.CipherSuites) == 0 && !cfg.supportsVersion(VersionDTLS13) {
		return nil, errors.New("dtls: no usable cipher suite in Config")
	}
	ext := &ch.Extensions
	if ecdhe {
		ext.SupportedGroups = supportedGroups(cfg.curves())
		ext.PointFormats = []uint8{0} // uncompressed (RFC 8422 §5.1.2)
	}
	if ch.Version == VersionDTLS12 {
		ext.SignatureAlgorithms = signatureAlgorithms
	}
	ext.ExtendedMasterSecret = true
	ext.Heartbeat = handshake.HeartbeatPeerAllowedToSend // we answer requests (RFC 6520 §2)
	ext.SecureRenegotiation = true
	ext.ServerName = hostnameForSNI(cfg.ServerName)
	if err := hs.offerConnectionID(ext); err != nil {
		return nil, err
	}
	hs.offerSRTP(ext)
	ext.ALPNProtocols = cfg.NextProtos
	ext.EncryptThenMAC = offersCBC(ch)
	if hs.renegotiating() {
		// A renegotiation carries the verify_data of our last Finished
		// (RFC 5746 §3.5) and is a full handshake. It carries the last
		// cookie too, as OpenSSL's client does: an OpenSSL server takes a
		// ClientHello without one for the first of a cookie exchange, and
		// leaves it out of its transcript.
		ext.RenegotiationInfo = hs.c.in.reneg.clientFin[:]
		ch.Cookie = hs.c.in.reneg.cookie
		return ch, nil
	}
	if err := hs.offerSession(ch); err != nil {
		return nil, err
	}
	if cfg.supportsVersion(VersionDTLS13) {
		if err := hs.offer13(ch); err != nil {
			return nil, err
		}
	}
	return ch, nil
}

// sendHello sends flight 1, the first ClientHello.
func (hs *clientHandshake) sendHello() error {
	ch, err := hs.makeHello()
	if err != nil {
		return err
	}
	hs.hello = ch
	hs.step, hs.old = hs.helloReply, hs.oldFragment
	return hs.sendClientHello()
}

// sendClientHello sends the ClientHello, with the cookie if there is one.
// The first ClientHello and the HelloVerifyRequest stay out of the
// transcript (RFC 6347 §4.2.1, §4.2.6).
func (hs *clientHandshake) sendClientHello() error {
	body, err := hs.hello.Marshal()
	if err != nil {
		return err
	}
	if err := hs.bind13(body); err != nil {
		return err
	}
	hs.resetTranscript()
	return hs.sendFlight([]fragment.Out{hs.message(hs.ep, handshake.TypeClientHello, body)}, true)
}

// helloReply takes the server's first message: a HelloVerifyRequest, which
// is answered with the ClientHello again, now with the cookie, or the
// ServerHello.
func (hs *clientHandshake) helloReply(m fragment.Message) error {
	if m.Type == handshake.TypeHelloVerifyRequest {
		if !hs.helloVerifyRequest(m.Body) {
			// Ignored: let a real message take this message_seq.
			hs.c.in.reasm.SetNext(m.Seq)
		}
		return nil
	}
	if hs.c13 != nil {
		if done, err := hs.reply13(m); done {
			return err
		}
	}
	hs.old = nil
	if err := hs.processServerHello(m); err != nil {
		return err
	}
	if resumed, err := hs.resumes(hs.sh); err != nil || resumed {
		if err != nil {
			return err
		}
		return hs.resume()
	}
	hs.step = hs.serverCertificate
	if hs.suite.psk() {
		hs.step = hs.serverKeyExchange
	}
	return nil
}

// helloVerifyRequest answers a HelloVerifyRequest with the ClientHello
// carrying its cookie, and reports whether it did. A HelloVerifyRequest
// that is malformed, carries no cookie or the cookie we sent, or comes
// after maxHelloVerifyRequests others changes nothing: a forged one must
// not derail the handshake. A new cookie restarts the exchange, as a
// server that rotated its secret asks (RFC 6347 §4.2.1).
func (hs *clientHandshake) helloVerifyRequest(body []byte) bool {
	var hvr handshake.HelloVerifyRequest
	if !hvr.Unmarshal(body) || len(hvr.Cookie) == 0 || bytes.Equal(hvr.Cookie, hs.hello.Cookie) ||
		hs.hvrs >= maxHelloVerifyRequests {
		hs.c.stats.dropped.Add(1)
		return false
	}
	hs.hvrs++
	if hs.c.config.minVersion() == VersionDTLS13 {
		// Only a server of an earlier version asks so (RFC 9147 §5.1).
		hs.c.failLocked(hs.c.sendAlert(AlertProtocolVersion,
			errors.New("dtls: the server speaks DTLS 1.2 or earlier (it sent a HelloVerifyRequest), and Config requires DTLS 1.3")))
		return true
	}
	hs.hello.Cookie = hvr.Cookie
	if hs.c.config.logs(slog.LevelDebug) {
		hs.c.config.event(slog.LevelDebug, "HelloVerifyRequest received", "received HelloVerifyRequest with a %d-byte cookie",
			slog.Int("cookie_len", len(hvr.Cookie)))
	}
	if err := hs.sendClientHello(); err != nil {
		hs.c.failLocked(err)
	}
	return true
}

// oldFragment takes a HelloVerifyRequest whose message_seq is before
// next_receive_seq, until the ServerHello arrives: a server may answer
// every ClientHello with message_seq 0, or send a new cookie after
// rotating its secret.
func (hs *clientHandshake) oldFragment(h handshake.Header, frag []byte) bool {
	if h.Type != handshake.TypeHelloVerifyRequest || h.FragmentOffset != 0 ||
		uint64(h.FragmentLength) != uint64(h.Length) {
		return false
	}
	hs.helloVerifyRequest(frag)
	return true
}

// processServerHello checks the server's choices (RFC 5246 §7.4.1.3).
func (hs *clientHandshake) processServerHello(m fragment.Message) error {
	c := hs.c
	if m.Type != handshake.TypeServerHello {
		return hs.unexpected(m, "ServerHello")
	}
	sh := new(handshake.ServerHello)
	if !sh.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	if !c.config.supportsVersion(sh.Version) || sh.Version < hs.hello.Version ||
		hs.renegotiating() && sh.Version != hs.hello.Version {
		return c.sendAlert(AlertProtocolVersion, errors.New("dtls: server chose an unsupported version"))
	}
	s := suiteByID(sh.CipherSuite)
	if s == nil || !s.usableIn(sh.Version) || !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose a cipher suite we did not offer"))
	}
	if sh.CompressionMethod != 0 {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose compression"))
	}
	if err := hs.checkRenegotiationInfo(sh); err != nil {
		return err
	}
	hs.sh, hs.suite, hs.ems = sh, s, sh.Extensions.ExtendedMasterSecret
	if !hs.ems && c.config.RequireExtendedMasterSecret {
		return c.sendAlert(AlertHandshakeFailure, errNoEMS)
	}
	if err := hs.checkTicketExtension(sh); err != nil {
		return err
	}
	if err := hs.takeConnectionID(sh); err != nil {
		return err
	}
	if err := hs.takeSRTP(&sh.Extensions); err != nil {
		return err
	}
	if err := hs.takeALPN(sh); err != nil {
		return err
	}
	if err := hs.takeEncryptThenMAC(sh); err != nil {
		return err
	}
	c.hb.Lock()
	c.hb.peerMode = sh.Extensions.Heartbeat
	c.hb.Unlock()
	hs.setVersion(sh.Version)
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "negotiated", "negotiated %s with %s",
			slog.String("version", versionName(sh.Version)), slog.String("suite", s.name))
	}
	return nil
}

// serverCertificate takes the server's Certificate (RFC 5246 §7.4.2).
func (hs *clientHandshake) serverCertificate(m fragment.Message) error {
	c := hs.c
	if m.Type != handshake.TypeCertificate {
		return hs.unexpected(m, "Certificate")
	}
	var cm handshake.Certificate
	if !cm.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	certs, chains, err := c.verifyServerCertificates(cm.Certificates)
	if err != nil {
		return err
	}
	if !kxAcceptsKey(hs.suite.kx, certs[0].PublicKey) {
		return c.sendAlert(AlertUnsupportedCertificate, errors.New("dtls: server certificate key does not fit the cipher suite"))
	}
	hs.certs, hs.chains = certs, chains
	hs.step = hs.serverKeyExchange
	return nil
}

// serverKeyExchange takes the ServerKeyExchange, which a PSK server without
// an identity hint leaves out (RFC 4279 §2).
func (hs *clientHandshake) serverKeyExchange(m fragment.Message) error {
	if m.Type != handshake.TypeServerKeyExchange {
		if hs.suite.kx != kxPSK {
			return hs.unexpected(m, "ServerKeyExchange")
		}
		return hs.certificateRequest(m)
	}
	if err := hs.processServerKeyExchange(m); err != nil {
		return err
	}
	hs.step = hs.certificateRequest
	return nil
}

// certificateRequest takes a CertificateRequest, if the server sent one
// (RFC 5246 §7.4.4), or else the ServerHelloDone.
func (hs *clientHandshake) certificateRequest(m fragment.Message) error {
	if m.Type != handshake.TypeCertificateRequest || hs.suite.psk() {
		return hs.serverHelloDone(m)
	}
	hs.certReq = new(handshake.CertificateRequest)
	if !hs.certReq.Unmarshal(m.Body, hs.vers == VersionDTLS12) {
		return hs.decodeError(m)
	}
	hs.step = hs.serverHelloDone
	return nil
}

// serverHelloDone takes the ServerHelloDone that ends flight 4, and sends
// flight 5.
func (hs *clientHandshake) serverHelloDone(m fragment.Message) error {
	if m.Type != handshake.TypeServerHelloDone {
		return hs.unexpected(m, "ServerHelloDone")
	}
	var done handshake.ServerHelloDone
	if !done.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	if err := hs.sendKeyExchangeFlight(); err != nil {
		return err
	}
	hs.step = hs.ticketThen(hs.serverFinished)
	return nil
}

// processServerKeyExchange checks the server's ECDHE parameters and their
// signature (RFC 8422 §5.4), or takes the PSK identity hint (RFC 4279 §2).
func (hs *clientHandshake) processServerKeyExchange(m fragment.Message) error {
	c := hs.c
	switch hs.suite.kx {
	case kxPSK:
		var ske handshake.ServerKeyExchangePSK
		if !ske.Unmarshal(m.Body) {
			return hs.decodeError(m)
		}
		hs.hint = bytes.Clone(ske.IdentityHint)
		return nil
	case kxECDHEPSK:
		return hs.processECDHEPSKServerKeyExchange(m)
	}
	ske := new(handshake.ServerKeyExchangeECDHE)
	tls12 := hs.vers == VersionDTLS12
	if !ske.Unmarshal(m.Body, tls12) {
		return hs.decodeError(m)
	}
	if !slices.Contains(c.config.curves(), tls.CurveID(ske.Curve)) || curveFor(tls.CurveID(ske.Curve)) == nil {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose an unsupported group"))
	}
	if tls12 && !slices.Contains(signatureAlgorithms, ske.SigAlg) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server used a signature algorithm we did not offer"))
	}
	hs.startECDHE(ske)
	signed := signedParams(hs.hello.Random[:], hs.sh.Random[:], ske)
	verr := verifySignature(hs.certs[0].PublicKey, hs.vers, ske.SigAlg, signed, ske.Signature)
	r := hs.waitECDHE()
	if verr != nil {
		return c.sendAlert(AlertDecryptError, verr)
	}
	if r.err != nil {
		return r.err
	}
	if r.shared == nil {
		return c.sendAlert(AlertIllegalParameter, errInvalidECDHEKey)
	}
	hs.preMaster = r.shared
	return nil
}

// serverFinished takes flight 6 and checks the server's Finished.
func (hs *clientHandshake) serverFinished(m fragment.Message) error {
	if err := hs.checkPeerFinished(m, hs.master, serverFinishedLabel, "server"); err != nil {
		return err
	}
	return hs.complete()
}

// complete records the result. After a full handshake the client sent the
// flight before last, so it keeps no flight: the server answers a lost
// final flight; after an abbreviated one it sent the last, and keeps it
// (see serverFinishedResumed).
func (hs *clientHandshake) complete() error {
	c := hs.c
	st := ConnectionState{
		Version:              hs.vers,
		HandshakeComplete:    true,
		CipherSuite:          hs.suite.id,
		ServerName:           c.config.ServerName,
		ExtendedMasterSecret: hs.ems,
		PeerCertificates:     hs.certs,
		VerifiedChains:       hs.chains,
		PSKIdentity:          hs.identity,
		DidResume:            hs.resumed,
		ConnectionID:         hs.cid.ownIfOn(),
		PeerConnectionID:     hs.cid.peerIfOn(),

		SRTPProtectionProfile: hs.srtp,
		SRTPMKI:               hs.srtpMKI,
		NegotiatedProtocol:    hs.alpn,
		ekm:                   hs.newExporter(hs.master, hs.hello.Random[:], hs.sh.Random[:], hs.ems),
	}
	if ske := hs.kx.ske; ske != nil && !hs.resumed {
		st.CurveID = tls.CurveID(ske.Curve)
	}
	if err := hs.verifyConnection(&st); err != nil {
		return err
	}
	c.setState(st)

	hs.keepSession()
	c.in.reneg.cookie = hs.hello.Cookie
	hs.finish()
	return nil
}

func versionName(v uint16) string {
	switch v {
	case VersionDTLS10:
		return "DTLS 1.0"
	case VersionDTLS12:
		return "DTLS 1.2"
	case VersionDTLS13:
		return "DTLS 1.3"
	}
	return "unknown version"
}
