package dtls

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// serverHandshake is the state of one server handshake (RFC 6347 §4.2.4,
// flights 2, 4 and 6).
type serverHandshake struct {
	hsBase
	ch        *handshake.ClientHello
	sh        *handshake.ServerHello
	ems       bool
	cert      *tls.Certificate
	curve     tls.CurveID
	sigAlg    uint16
	ecdhKey   *ecdh.PrivateKey
	identity  []byte
	master    []byte
	peerCerts []*x509.Certificate
	chains    [][]*x509.Certificate
}

func newServerHandshake(c *Conn) *serverHandshake {
	hs := &serverHandshake{}
	hs.c = c
	return hs
}

func (hs *serverHandshake) run(ctx context.Context) error {
	stop := hs.init(hs.c, ctx)
	defer stop()
	if err := hs.readClientHello(); err != nil {
		return err
	}
	if err := hs.negotiate(); err != nil {
		return err
	}
	if err := hs.sendServerFlight(); err != nil {
		return err
	}
	if err := hs.readClientFlight(); err != nil {
		return err
	}
	if err := hs.sendFinishedFlight(); err != nil {
		return err
	}
	hs.complete()
	return nil
}

// readClientHello waits for a ClientHello with a valid cookie, answering the
// others with a HelloVerifyRequest and no state (RFC 6347 §4.2.1).
func (hs *serverHandshake) readClientHello() error {
	c := hs.c
	for {
		if err := c.conn.SetReadDeadline(hs.readDeadline()); err != nil {
			return err
		}
		if err := hs.ctx.Err(); err != nil {
			return err
		}
		n, err := c.conn.Read(c.in.buf)
		if err != nil {
			if err = hs.readError(err); err != nil {
				return err
			}
			continue
		}
		d := c.in.buf[:n]
		reply, ok := c.config.VerifyClientHello(d, c.conn.RemoteAddr())
		if reply != nil {
			c.config.tracef("sent HelloVerifyRequest (%d bytes)", len(reply))
			_, _ = c.conn.Write(reply) // never retransmitted; the client's timer covers loss
		}
		if ok {
			return hs.acceptClientHello(d)
		}
	}
}

// acceptClientHello starts the handshake state from a verified ClientHello:
// our messages continue from its message_seq (RFC 6347 §4.2.2) and our
// records from its record sequence number, since a stateless
// HelloVerifyRequest may already have used the numbers below it
// (RFC 6347 §4.2.1). The rest of its datagram is processed as usual.
func (hs *serverHandshake) acceptClientHello(d []byte) error {
	c := hs.c
	rh, hh, ch, body, ok := parseFirstClientHello(d)
	if !ok {
		return errors.New("dtls: internal error: verified ClientHello did not parse")
	}
	hs.ch = ch
	c.in.cur.window.Mark(rh.Seq)
	c.out.Lock()
	c.out.cur.seq = max(c.out.cur.seq, rh.Seq)
	c.out.Unlock()
	c.in.reasm.SetNext(hh.MessageSeq + 1)
	hs.sendSeq = hh.MessageSeq
	hs.addTranscript(handshake.TypeClientHello, hh.MessageSeq, body)
	c.config.tracef("received ClientHello (message_seq %d, %d bytes)", hh.MessageSeq, len(body))
	_, _, rest, _ := record.Split(d)
	return c.handleDatagram(rest)
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
	if !slices.Contains(ch.CompressionMethods, 0) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: client does not offer null compression"))
	}
	if ch.Extensions.SecureRenegotiation && len(ch.Extensions.RenegotiationInfo) != 0 {
		return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: non-empty renegotiation_info in initial handshake"))
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
	hs.setVersion(hs.vers)
	c.config.tracef("negotiated %s with %s", versionName(hs.vers), hs.suite.name)
	return nil
}

// canServe reports whether we have what suite s needs, and records it.
func (hs *serverHandshake) canServe(s *cipherSuite) bool {
	cfg, ext := hs.c.config, &hs.ch.Extensions
	if s.kx == kxPSK {
		return cfg.PSK != nil
	}
	if ext.PointFormats != nil && !slices.Contains(ext.PointFormats, 0) {
		return false
	}
	cert, pub := cfg.certFor(s.kx)
	if cert == nil {
		return false
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
	if err := hs.makeServerHello(); err != nil {
		return err
	}
	body, err := hs.sh.Marshal()
	if err != nil {
		return err
	}
	items := []fragment.Out{hs.message(0, handshake.TypeServerHello, body)}
	if hs.suite.kx != kxPSK {
		if body, err = (&handshake.Certificate{Certificates: hs.cert.Certificate}).Marshal(); err != nil {
			return err
		}
		items = append(items, hs.message(0, handshake.TypeCertificate, body))
	}
	if body, err = hs.serverKeyExchange(); err != nil {
		return err
	}
	if body != nil {
		items = append(items, hs.message(0, handshake.TypeServerKeyExchange, body))
	}
	if hs.wantsClientCert() {
		if body, err = hs.certificateRequest(); err != nil {
			return err
		}
		items = append(items, hs.message(0, handshake.TypeCertificateRequest, body))
	}
	items = append(items, hs.message(0, handshake.TypeServerHelloDone, nil))
	return hs.sendFlight(items, true)
}

func (hs *serverHandshake) makeServerHello() error {
	cext := &hs.ch.Extensions
	sh := &handshake.ServerHello{Version: hs.vers, CipherSuite: hs.suite.id}
	if _, err := io.ReadFull(hs.c.config.rand(), sh.Random[:]); err != nil {
		return err
	}
	sh.Extensions.ExtendedMasterSecret = hs.ems
	if cext.Heartbeat != 0 {
		// Answer in kind: we answer requests (RFC 6520 §2).
		sh.Extensions.Heartbeat = handshake.HeartbeatPeerAllowedToSend
		hs.c.hb.Lock()
		hs.c.hb.peerMode = cext.Heartbeat
		hs.c.hb.Unlock()
	}
	sh.Extensions.SecureRenegotiation = cext.SecureRenegotiation || slices.Contains(hs.ch.CipherSuites, scsvRenegotiation)
	if hs.suite.kx != kxPSK && cext.PointFormats != nil {
		sh.Extensions.PointFormats = []uint8{0}
	}
	hs.sh = sh
	return nil
}

// serverKeyExchange builds the signed ECDHE parameters (RFC 8422 §5.4), or
// the PSK identity hint if one is configured (RFC 4279 §2).
func (hs *serverHandshake) serverKeyExchange() ([]byte, error) {
	cfg := hs.c.config
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
	signed := slices.Concat(hs.ch.Random[:], hs.sh.Random[:], ske.Params())
	signer := hs.cert.PrivateKey.(crypto.Signer)
	if ske.Signature, err = sign(cfg.rand(), signer, hs.vers, hs.sigAlg, signed); err != nil {
		return nil, hs.c.sendAlert(AlertInternalError, err)
	}
	return ske.Marshal(hs.vers == VersionDTLS12)
}

// readClientFlight reads flight 5 up to and including Finished:
// [Certificate], ClientKeyExchange, [CertificateVerify], Finished.
func (hs *serverHandshake) readClientFlight() error {
	m, err := hs.readMessage()
	if err != nil {
		return err
	}
	if hs.wantsClientCert() {
		if m, err = hs.readClientCertificate(m); err != nil {
			return err
		}
	}
	if m.Type != handshake.TypeClientKeyExchange {
		return hs.unexpected(m, "ClientKeyExchange")
	}
	preMaster, err := hs.processClientKeyExchange(m)
	if err != nil {
		return err
	}
	var sessionHash []byte
	if hs.ems {
		sessionHash = hs.suite.transcriptHash(hs.vers, hs.transcript)
	}
	if len(hs.peerCerts) > 0 {
		if err := hs.readCertificateVerify(); err != nil {
			return err
		}
	}
	hs.master = masterSecret(hs.suite, hs.vers, preMaster, hs.ch.Random[:], hs.sh.Random[:], sessionHash)
	want := hs.finished(hs.master, clientFinishedLabel)
	if err := hs.establishKeys(hs.master, hs.ch.Random[:], hs.sh.Random[:], false); err != nil {
		return err
	}
	if m, err = hs.readMessage(); err != nil {
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
		return hs.c.sendAlert(AlertDecryptError, errors.New("dtls: client's Finished is wrong"))
	}
	return nil
}

// processClientKeyExchange returns the premaster secret.
func (hs *serverHandshake) processClientKeyExchange(m fragment.Message) ([]byte, error) {
	c := hs.c
	if hs.suite.kx == kxPSK {
		var cke handshake.ClientKeyExchangePSK
		if !cke.Unmarshal(m.Body) {
			return nil, hs.decodeError(m)
		}
		psk, err := c.config.PSK(cke.Identity)
		if err != nil || len(psk) == 0 {
			return nil, c.sendAlert(AlertUnknownPSKIdentity, errors.New("dtls: unknown PSK identity"))
		}
		hs.identity = cke.Identity
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

// sendFinishedFlight sends flight 6, ChangeCipherSpec and Finished, and keeps
// it to answer a retransmitted flight 5 (RFC 6347 §4.2.4).
func (hs *serverHandshake) sendFinishedFlight() error {
	fin := hs.finished(hs.master, serverFinishedLabel)
	items := []fragment.Out{ccs(0), hs.message(1, handshake.TypeFinished, fin)}
	return hs.sendFlight(items, false)
}

func (hs *serverHandshake) complete() {
	c := hs.c
	c.state = ConnectionState{
		Version:              hs.vers,
		HandshakeComplete:    true,
		CipherSuite:          hs.suite.id,
		ServerName:           hs.ch.Extensions.ServerName,
		ExtendedMasterSecret: hs.ems,
		PeerCertificates:     hs.peerCerts,
		VerifiedChains:       hs.chains,
		PSKIdentity:          hs.identity,
	}
	c.config.tracef("handshake complete: %s, %s", versionName(hs.vers), hs.suite.name)
}
