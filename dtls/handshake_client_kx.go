package dtls

import (
	"crypto"
	"crypto/tls"
	"io"
	"log/slog"
	"runtime"
	"sync"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// keyExchange computes the premaster secret and the ClientKeyExchange body.
func (hs *clientHandshake) keyExchange() (body []byte, err error) {
	cfg := hs.c.config
	if hs.suite.kx == kxECDHEPSK {
		return hs.ecdhePSKKeyExchange()
	}
	if hs.suite.kx == kxPSK {
		psk, err := cfg.PSK(hs.hint)
		if err != nil {
			return nil, hs.c.sendAlert(AlertInternalError, err)
		}
		hs.preMaster, hs.identity = pskPremaster(psk), cfg.PSKIdentity
		return (&handshake.ClientKeyExchangePSK{Identity: cfg.PSKIdentity}).Marshal()
	}
	return (&handshake.ClientKeyExchangeECDHE{PublicKey: hs.kx.result.public}).Marshal()
}

// An ecdheResult is our side of an ECDHE exchange: our public key and the
// shared secret, nil if the server's public key is invalid, or the error
// of generating our key.
type ecdheResult struct {
	public, shared []byte
	err            error
}

// An ecdheRun is our side of the ECDHE exchange, computed while the
// server's signature of its parameters is checked.
type ecdheRun struct {
	wg     sync.WaitGroup
	ske    *handshake.ServerKeyExchangeECDHE // the server's parameters
	rand   io.Reader
	result ecdheResult
}

// startECDHE starts our side of the ECDHE exchange with the server's
// parameters ske, whose signature is still to be checked; waitECDHE
// returns its result. Where more than one goroutine runs at once, it runs
// beside the check of the signature, which is as long: the handshake waits
// for the longer of the two instead of both (the result is used only once
// the signature proved the parameters the server's). The key is drawn from
// the Config's source of randomness in either case.
func (hs *clientHandshake) startECDHE(ske *handshake.ServerKeyExchangeECDHE) {
	kx := &hs.kx
	kx.ske, kx.rand = ske, hs.c.config.rand()
	if runtime.GOMAXPROCS(0) == 1 {
		kx.run()
		return
	}
	kx.wg.Add(1)
	go func() {
		defer kx.wg.Done()
		kx.run()
	}()
}

// waitECDHE waits for the result of startECDHE.
func (hs *clientHandshake) waitECDHE() ecdheResult {
	hs.kx.wg.Wait()
	return hs.kx.result
}

// run computes our key and the shared secret.
func (kx *ecdheRun) run() {
	priv, err := curveFor(tls.CurveID(kx.ske.Curve)).GenerateKey(kx.rand)
	if err != nil {
		kx.result = ecdheResult{err: err}
		return
	}
	kx.result.public = priv.PublicKey().Bytes()
	kx.result.shared, _ = ecdheShared(priv, kx.ske.PublicKey)
}

// sendKeyExchangeFlight sends flight 5: [Certificate], ClientKeyExchange,
// [CertificateVerify], ChangeCipherSpec, Finished (RFC 6347 §4.2.4).
func (hs *clientHandshake) sendKeyExchangeFlight() error {
	var items []fragment.Out
	cert, alg, err := hs.clientCertificate(&items)
	if err != nil {
		return err
	}
	body, err := hs.keyExchange()
	if err != nil {
		return err
	}
	items = append(items, hs.message(hs.ep, handshake.TypeClientKeyExchange, body))
	var sessionHash []byte
	if hs.ems {
		sessionHash = hs.suite.transcriptHash(hs.hash[:0], hs.vers, hs.transcript)
	}
	if cert != nil {
		if err := hs.certificateVerify(cert, alg, &items); err != nil {
			return err
		}
	}
	hs.master = hs.masterSecret(hs.preMaster, hs.hello.Random[:], hs.sh.Random[:], sessionHash)
	fin := hs.finished(hs.master, clientFinishedLabel, hs.transcript)
	items = append(items, ccs(hs.ep), hs.message(hs.ep+1, handshake.TypeFinished, fin))
	if err := hs.establishKeys(hs.master, hs.hello.Random[:], hs.sh.Random[:], true); err != nil {
		return err
	}
	return hs.sendFlight(items, true)
}

// clientCertificate adds our Certificate when the server asked for one
// (RFC 5246 §7.4.6): the first of ours that fits the request, or an empty
// one when none does. It returns the certificate, nil if empty, and the
// signature algorithm for the CertificateVerify.
func (hs *clientHandshake) clientCertificate(items *[]fragment.Out) (*tls.Certificate, uint16, error) {
	if hs.certReq == nil {
		return nil, 0, nil
	}
	certs, err := hs.clientCertificates()
	if err != nil {
		return nil, 0, err
	}
	cert, alg := pickClientCertificate(certs, hs.certReq, hs.vers)
	var cm handshake.Certificate
	if cert != nil {
		cm.Certificates = cert.Certificate
	} else if len(certs) > 0 && hs.c.config.logs(slog.LevelInfo) {
		hs.c.config.event(slog.LevelInfo, "no client certificate fits", "no certificate fits the server's CertificateRequest: sending an empty one")
	}
	body, err := cm.Marshal()
	if err != nil {
		return nil, 0, err
	}
	*items = append(*items, hs.message(hs.ep, handshake.TypeCertificate, body))
	return cert, alg, nil
}

// certificateVerify signs the transcript with our certificate's key
// (RFC 5246 §7.4.8).
func (hs *clientHandshake) certificateVerify(cert *tls.Certificate, alg uint16, items *[]fragment.Out) error {
	signer := cert.PrivateKey.(crypto.Signer)
	cv := handshake.CertificateVerify{SigAlg: alg}
	sig, err := sign(hs.c.config.rand(), signer, hs.vers, cv.SigAlg, hs.transcript)
	if err != nil {
		return hs.c.sendAlert(AlertInternalError, err)
	}
	cv.Signature = sig
	body, err := cv.Marshal(hs.vers == VersionDTLS12)
	if err != nil {
		return err
	}
	*items = append(*items, hs.message(hs.ep, handshake.TypeCertificateVerify, body))
	return nil
}
