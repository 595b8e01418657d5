package dtls

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// maxHelloVerifyRequests bounds how many cookies a client accepts in one
// handshake before giving up on a server that keeps asking.
const maxHelloVerifyRequests = 4

// clientHandshake is the state of one client handshake (RFC 6347 §4.2.4,
// flights 1, 3 and 5).
type clientHandshake struct {
	hsBase
	hello     *handshake.ClientHello
	sh        *handshake.ServerHello
	ems       bool
	certs     []*x509.Certificate
	chains    [][]*x509.Certificate
	ske       *handshake.ServerKeyExchangeECDHE
	hint      []byte
	certReq   *handshake.CertificateRequest
	master    []byte
	identity  []byte
	preMaster []byte
}

func newClientHandshake(c *Conn) *clientHandshake {
	hs := &clientHandshake{}
	hs.c = c
	return hs
}

func (hs *clientHandshake) run(ctx context.Context) error {
	stop := hs.init(hs.c, ctx)
	defer stop()
	if err := hs.sendHello(); err != nil {
		return err
	}
	m, err := hs.readHelloReply()
	if err != nil {
		return err
	}
	if err := hs.processServerHello(m); err != nil {
		return err
	}
	if err := hs.readServerFlight(); err != nil {
		return err
	}
	if err := hs.sendKeyExchangeFlight(); err != nil {
		return err
	}
	if err := hs.readServerFinished(); err != nil {
		return err
	}
	hs.complete()
	return nil
}

// makeHello builds the ClientHello (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2).
func (hs *clientHandshake) makeHello() (*handshake.ClientHello, error) {
	cfg := hs.c.config
	ch := &handshake.ClientHello{Version: cfg.maxVersion(), CompressionMethods: []uint8{0}}
	if _, err := io.ReadFull(cfg.rand(), ch.Random[:]); err != nil {
		return nil, err
	}
	ecdhe := false
	for _, id := range cfg.suites() {
		s := suiteByID(id)
		if s == nil || !s.usableIn(ch.Version) || (s.kx == kxPSK && cfg.PSK == nil) {
			continue
		}
		ch.CipherSuites = append(ch.CipherSuites, id)
		ecdhe = ecdhe || s.kx != kxPSK
	}
	if len(ch.CipherSuites) == 0 {
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
	return ch, nil
}

func (hs *clientHandshake) sendHello() error {
	ch, err := hs.makeHello()
	if err != nil {
		return err
	}
	hs.hello = ch
	body, err := ch.Marshal()
	if err != nil {
		return err
	}
	return hs.sendFlight([]fragment.Out{hs.message(0, handshake.TypeClientHello, body)}, true)
}

// readHelloReply reads the server's first message, answering each
// HelloVerifyRequest with the ClientHello again, now with the cookie. The
// first ClientHello and the HelloVerifyRequest stay out of the transcript
// (RFC 6347 §4.2.1, §4.2.6).
func (hs *clientHandshake) readHelloReply() (fragment.Message, error) {
	for i := 0; ; i++ {
		m, err := hs.readMessage()
		if err != nil || m.Type != handshake.TypeHelloVerifyRequest {
			return m, err
		}
		var hvr handshake.HelloVerifyRequest
		if !hvr.Unmarshal(m.Body) {
			return m, hs.decodeError(m)
		}
		if i >= maxHelloVerifyRequests || len(hvr.Cookie) == 0 {
			return m, hs.c.sendAlert(AlertHandshakeFailure, errors.New("dtls: server keeps sending HelloVerifyRequest"))
		}
		hs.hello.Cookie = hvr.Cookie
		body, err := hs.hello.Marshal()
		if err != nil {
			return m, err
		}
		hs.transcript = hs.transcript[:0]
		if err := hs.sendFlight([]fragment.Out{hs.message(0, handshake.TypeClientHello, body)}, true); err != nil {
			return m, err
		}
	}
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
	if !c.config.supportsVersion(sh.Version) || sh.Version < hs.hello.Version {
		return c.sendAlert(AlertProtocolVersion, errors.New("dtls: server chose an unsupported version"))
	}
	s := suiteByID(sh.CipherSuite)
	if s == nil || !s.usableIn(sh.Version) || !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose a cipher suite we did not offer"))
	}
	if sh.CompressionMethod != 0 {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose compression"))
	}
	if sh.Extensions.SecureRenegotiation && len(sh.Extensions.RenegotiationInfo) != 0 {
		return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: non-empty renegotiation_info in initial handshake"))
	}
	hs.sh, hs.suite, hs.ems = sh, s, sh.Extensions.ExtendedMasterSecret
	c.hb.Lock()
	c.hb.peerMode = sh.Extensions.Heartbeat
	c.hb.Unlock()
	hs.setVersion(sh.Version)
	c.config.tracef("negotiated %s with %s", versionName(sh.Version), s.name)
	return nil
}

// readServerFlight reads Certificate, ServerKeyExchange, CertificateRequest
// and ServerHelloDone, as the suite requires (RFC 5246 §7.4).
func (hs *clientHandshake) readServerFlight() error {
	m, err := hs.readMessage()
	if err != nil {
		return err
	}
	if hs.suite.kx != kxPSK {
		if m, err = hs.readCertificate(m); err != nil {
			return err
		}
	}
	if m.Type == handshake.TypeServerKeyExchange {
		if err := hs.processServerKeyExchange(m); err != nil {
			return err
		}
		if m, err = hs.readMessage(); err != nil {
			return err
		}
	} else if hs.suite.kx != kxPSK {
		return hs.unexpected(m, "ServerKeyExchange")
	}
	if m.Type == handshake.TypeCertificateRequest && hs.suite.kx != kxPSK {
		hs.certReq = new(handshake.CertificateRequest)
		if !hs.certReq.Unmarshal(m.Body, hs.vers == VersionDTLS12) {
			return hs.decodeError(m)
		}
		if m, err = hs.readMessage(); err != nil {
			return err
		}
	}
	if m.Type != handshake.TypeServerHelloDone {
		return hs.unexpected(m, "ServerHelloDone")
	}
	var done handshake.ServerHelloDone
	if !done.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	return nil
}

// readCertificate processes the server's Certificate and returns the next message.
func (hs *clientHandshake) readCertificate(m fragment.Message) (fragment.Message, error) {
	c := hs.c
	if m.Type != handshake.TypeCertificate {
		return m, hs.unexpected(m, "Certificate")
	}
	var cm handshake.Certificate
	if !cm.Unmarshal(m.Body) {
		return m, hs.decodeError(m)
	}
	certs, chains, err := c.verifyServerCertificates(cm.Certificates)
	if err != nil {
		return m, err
	}
	if !kxAcceptsKey(hs.suite.kx, certs[0].PublicKey) {
		return m, c.sendAlert(AlertUnsupportedCertificate, errors.New("dtls: server certificate key does not fit the cipher suite"))
	}
	hs.certs, hs.chains = certs, chains
	return hs.readMessage()
}

// processServerKeyExchange checks the server's ECDHE parameters and their
// signature (RFC 8422 §5.4), or takes the PSK identity hint (RFC 4279 §2).
func (hs *clientHandshake) processServerKeyExchange(m fragment.Message) error {
	c := hs.c
	if hs.suite.kx == kxPSK {
		var ske handshake.ServerKeyExchangePSK
		if !ske.Unmarshal(m.Body) {
			return hs.decodeError(m)
		}
		hs.hint = ske.IdentityHint
		return nil
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
	signed := slices.Concat(hs.hello.Random[:], hs.sh.Random[:], ske.Params())
	if err := verifySignature(hs.certs[0].PublicKey, hs.vers, ske.SigAlg, signed, ske.Signature); err != nil {
		return c.sendAlert(AlertDecryptError, err)
	}
	hs.ske = ske
	return nil
}

// keyExchange computes the premaster secret and the ClientKeyExchange body.
func (hs *clientHandshake) keyExchange() (body []byte, err error) {
	cfg := hs.c.config
	if hs.suite.kx == kxPSK {
		psk, err := cfg.PSK(hs.hint)
		if err != nil {
			return nil, hs.c.sendAlert(AlertInternalError, err)
		}
		hs.preMaster, hs.identity = pskPremaster(psk), cfg.PSKIdentity
		return (&handshake.ClientKeyExchangePSK{Identity: cfg.PSKIdentity}).Marshal()
	}
	priv, err := curveFor(tls.CurveID(hs.ske.Curve)).GenerateKey(cfg.rand())
	if err != nil {
		return nil, err
	}
	if hs.preMaster, err = ecdheShared(priv, hs.ske.PublicKey); err != nil {
		return nil, hs.c.sendAlert(AlertIllegalParameter, err)
	}
	return (&handshake.ClientKeyExchangeECDHE{PublicKey: priv.PublicKey().Bytes()}).Marshal()
}

// sendKeyExchangeFlight sends flight 5: [Certificate], ClientKeyExchange,
// [CertificateVerify], ChangeCipherSpec, Finished (RFC 6347 §4.2.4).
func (hs *clientHandshake) sendKeyExchangeFlight() error {
	var items []fragment.Out
	cert, err := hs.clientCertificate(&items)
	if err != nil {
		return err
	}
	body, err := hs.keyExchange()
	if err != nil {
		return err
	}
	items = append(items, hs.message(0, handshake.TypeClientKeyExchange, body))
	var sessionHash []byte
	if hs.ems {
		sessionHash = hs.suite.transcriptHash(hs.vers, hs.transcript)
	}
	if cert != nil {
		if err := hs.certificateVerify(cert, &items); err != nil {
			return err
		}
	}
	hs.master = masterSecret(hs.suite, hs.vers, hs.preMaster, hs.hello.Random[:], hs.sh.Random[:], sessionHash)
	if err := hs.establishKeys(hs.master, hs.hello.Random[:], hs.sh.Random[:], true); err != nil {
		return err
	}
	items = append(items, ccs(0))
	items = append(items, hs.message(1, handshake.TypeFinished, hs.finished(hs.master, clientFinishedLabel)))
	return hs.sendFlight(items, true)
}

// clientCertificate adds our Certificate when the server asked for one
// (RFC 5246 §7.4.6), and returns the certificate if it is not empty.
func (hs *clientHandshake) clientCertificate(items *[]fragment.Out) (*tls.Certificate, error) {
	if hs.certReq == nil {
		return nil, nil
	}
	cert, _ := hs.c.config.certFor(hs.suite.kx)
	if cert == nil {
		cert, _ = hs.c.config.certFor(otherKX(hs.suite.kx))
	}
	var cm handshake.Certificate
	if cert != nil {
		cm.Certificates = cert.Certificate
	}
	body, err := cm.Marshal()
	if err != nil {
		return nil, err
	}
	*items = append(*items, hs.message(0, handshake.TypeCertificate, body))
	return cert, nil
}

// otherKX maps an ECDHE key exchange to the other certificate type, since a
// client certificate need not match the server's.
func otherKX(kx keyExchange) keyExchange {
	if kx == kxECDHEECDSA {
		return kxECDHERSA
	}
	return kxECDHEECDSA
}

// certificateVerify signs the transcript with our certificate's key
// (RFC 5246 §7.4.8).
func (hs *clientHandshake) certificateVerify(cert *tls.Certificate, items *[]fragment.Out) error {
	signer := cert.PrivateKey.(crypto.Signer)
	cv := handshake.CertificateVerify{}
	if hs.vers == VersionDTLS12 {
		alg, ok := pickSignature(signer.Public(), hs.certReq.SignatureAlgorithms)
		if !ok {
			return hs.c.sendAlert(AlertHandshakeFailure, errors.New("dtls: no signature algorithm for the client certificate"))
		}
		cv.SigAlg = alg
	}
	sig, err := sign(hs.c.config.rand(), signer, hs.vers, cv.SigAlg, hs.transcript)
	if err != nil {
		return hs.c.sendAlert(AlertInternalError, err)
	}
	cv.Signature = sig
	body, err := cv.Marshal(hs.vers == VersionDTLS12)
	if err != nil {
		return err
	}
	*items = append(*items, hs.message(0, handshake.TypeCertificateVerify, body))
	return nil
}

// readServerFinished reads flight 6 and checks the server's Finished.
func (hs *clientHandshake) readServerFinished() error {
	want := hs.finished(hs.master, serverFinishedLabel)
	m, err := hs.readMessage()
	if err != nil {
		return err
	}
	if m.Type != handshake.TypeFinished {
		return hs.unexpected(m, "Finished")
	}
	var fin handshake.Finished
	if !fin.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	if !hmac.Equal(fin.VerifyData, want) {
		return hs.c.sendAlert(AlertDecryptError, errors.New("dtls: server's Finished is wrong"))
	}
	return nil
}

// complete records the result. The client sent the flight before last, so
// it keeps no flight: the server answers a lost final flight.
func (hs *clientHandshake) complete() {
	c := hs.c
	c.state = ConnectionState{
		Version:              hs.vers,
		HandshakeComplete:    true,
		CipherSuite:          hs.suite.id,
		ServerName:           c.config.ServerName,
		ExtendedMasterSecret: hs.ems,
		PeerCertificates:     hs.certs,
		VerifiedChains:       hs.chains,
		PSKIdentity:          hs.identity,
	}
	c.out.Lock()
	c.out.flight, c.out.prev = nil, nil
	c.out.Unlock()
	c.config.tracef("handshake complete: %s, %s", versionName(hs.vers), hs.suite.name)
}

func versionName(v uint16) string {
	switch v {
	case VersionDTLS10:
		return "DTLS 1.0"
	case VersionDTLS12:
		return "DTLS 1.2"
	}
	return "unknown version"
}
