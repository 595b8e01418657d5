package dtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// pskHash is the hash of an external PSK: SHA-256, the default of RFC 8446
// §4.2.11 when none is provisioned with the key.
const pskHash = crypto.SHA256

// setVersion13 fixes DTLS 1.3 as the version. Its records of epoch 0 still
// say DTLS 1.2 (RFC 9147 §5.3), and the records of later epochs carry no
// version.
func (hs *hsBase) setVersion13() {
	hs.vers = VersionDTLS13
	hs.c.out.Lock()
	hs.c.out.version = VersionDTLS12
	hs.c.out.Unlock()
}

// installHandshakeKeys13 arms epoch 2, the handshake's (RFC 9147 §6.1): we
// write in it from now on, and read the peer's records of it.
func (hs *hsBase) installHandshakeKeys13(s *suite13, k *schedule13, isClient bool) error {
	return hs.installKeys13(s, k.cHS, k.sHS, 2, isClient, true)
}

// installApplicationKeys13 arms epoch 3, the first of application data.
func (hs *hsBase) installApplicationKeys13(s *suite13, k *schedule13, isClient bool) error {
	return hs.installKeys13(s, k.cAP, k.sAP, 3, isClient, false)
}

func (hs *hsBase) installKeys13(s *suite13, client, server []byte, epoch uint16, isClient, handshake bool) error {
	c := hs.c
	mine, theirs := client, server
	if !isClient {
		mine, theirs = server, client
	}
	w, err := newCipher13(s, mine)
	if err != nil {
		return err
	}
	r, err := newCipher13(s, theirs)
	if err != nil {
		return err
	}
	var peer []byte
	if hs.cid.on && len(hs.cid.peer) > 0 {
		peer = hs.cid.peer // in every record of epoch 2 and after (RFC 9147 §9)
	}
	c.out.Lock()
	c.out.nextEpoch13(w, epoch, peer)
	c.out.Unlock()
	c.in.nextCID = hs.cid.on && len(hs.cid.own) > 0
	if c.in.nextCID {
		c.in.cid = hs.cid.own
	}
	c.setReadCipher13(r, epoch, handshake)
	return c.in.err
}

// finish13 ends a DTLS 1.3 handshake that succeeded: application data goes
// in the newest epoch, early data is queued for Read. c.state is set. c.in
// is held.
func (hs *hsBase) finish13(s *suite13, write, read []byte) {
	c := hs.c
	c.p13 = &post13{suite: s, write: write, read: read, sendSeq: hs.sendSeq}
	c.v13.Store(true)
	c.in.acks.nums = c.in.acks.nums[:0] // what is left is acknowledged by our last flight
	c.in.acks.due, c.in.note0 = time.Time{}, false
	c.out.Lock()
	if hs.waiting {
		hs.answered()
		c.out.flight = nil
		c.out.releaseSent()
	}
	c.out.dataEpoch = c.out.cur.epoch
	c.out.Unlock()
	hs.complete(VersionDTLS13, s.name, false)
}

// logKeys13 writes the handshake traffic secrets to Config.KeyLogWriter
// in the NSS key log format.
func (hs *hsBase) logKeys13(clientRandom []byte, k *schedule13) {
	hs.logSecret13("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientRandom, k.cHS)
	hs.logSecret13("SERVER_HANDSHAKE_TRAFFIC_SECRET", clientRandom, k.sHS)
}

// logAppKeys13 writes the application traffic and exporter secrets.
func (hs *hsBase) logAppKeys13(clientRandom []byte, k *schedule13) {
	hs.logSecret13("CLIENT_TRAFFIC_SECRET_0", clientRandom, k.cAP)
	hs.logSecret13("SERVER_TRAFFIC_SECRET_0", clientRandom, k.sAP)
	hs.logSecret13("EXPORTER_SECRET", clientRandom, k.exporter)
}

func (hs *hsBase) logSecret13(label string, clientRandom, secret []byte) {
	w := hs.c.config.KeyLogWriter
	if w == nil {
		return
	}
	keyLogMu.Lock()
	defer keyLogMu.Unlock()
	_, _ = fmt.Fprintf(w, "%s %x %x\n", label, clientRandom, secret)
}

// signatureAlgorithms13 are the schemes DTLS 1.3 signs a handshake with
// (RFC 8446 §4.2.3): no PKCS #1 v1.5, and ECDSA tied to its curve.
var signatureAlgorithms13 = []uint16{
	sigECDSAP256, sigEd25519, sigECDSAP384, sigECDSAP521,
	sigRSAPSSSHA256, sigRSAPSSSHA384, sigRSAPSSSHA512,
}

// sigFits13 reports whether DTLS 1.3 may sign with alg for pub.
func sigFits13(alg uint16, pub crypto.PublicKey) bool {
	if !slices.Contains(signatureAlgorithms13, alg) || !sigMatchesKey(alg, pub) {
		return false
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		want := map[uint16]elliptic.Curve{sigECDSAP256: elliptic.P256(), sigECDSAP384: elliptic.P384(), sigECDSAP521: elliptic.P521()}
		return want[alg] == k.Curve
	case *rsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

// pickSignature13 chooses our scheme for pub among the peer's.
func pickSignature13(pub crypto.PublicKey, peer []uint16) (uint16, bool) {
	for _, a := range signatureAlgorithms13 {
		if slices.Contains(peer, a) && sigFits13(a, pub) {
			return a, true
		}
	}
	return 0, false
}

// checkCertificateVerify13 checks the peer's CertificateVerify (RFC 8446
// §4.4.3) over the transcript before it.
func (hs *hsBase) checkCertificateVerify13(m fragment.Message, pub crypto.PublicKey, tr *transcript13, fromServer bool) error {
	if m.Type != handshake.TypeCertificateVerify {
		return hs.unexpected(m, "CertificateVerify")
	}
	var cv handshake.CertificateVerify
	if !cv.Unmarshal(m.Body, true) {
		return hs.decodeError(m)
	}
	if !sigFits13(cv.SigAlg, pub) {
		return hs.c.sendAlert(AlertIllegalParameter, errors.New("dtls: the peer signed with a scheme DTLS 1.3 does not allow for its key"))
	}
	msg := tls13.SignedContent(nil, fromServer, tr.sum(hs.transcriptBefore(m)))
	if err := verifySignature(pub, VersionDTLS12, cv.SigAlg, msg, cv.Signature); err != nil {
		return hs.c.sendAlert(AlertDecryptError, err)
	}
	return nil
}

// certificateVerify13 signs the transcript so far with cert's key, for our
// CertificateVerify.
func (hs *hsBase) certificateVerify13(cert *tls.Certificate, alg uint16, tr *transcript13, fromServer bool) ([]byte, error) {
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("dtls: certificate's private key cannot sign")
	}
	msg := tls13.SignedContent(nil, fromServer, tr.sum(hs.transcript))
	sig, err := sign(hs.c.config.rand(), signer, VersionDTLS12, alg, msg)
	if err != nil {
		return nil, err
	}
	cv := handshake.CertificateVerify{SigAlg: alg, Signature: sig}
	return cv.Marshal(true)
}

// certificate13 returns the body of a Certificate carrying chain (RFC 8446
// §4.4.2), with the empty context of a handshake's certificate.
func certificate13(chain [][]byte) ([]byte, error) {
	m := handshake.Certificate13{Certificates: chain}
	return m.Marshal()
}
