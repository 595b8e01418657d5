package dtls

import (
	"crypto/tls"
	"errors"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// ClientCertificateType values (RFC 5246 §7.4.4, RFC 8422 §5.5).
const (
	certTypeRSASign   = 1
	certTypeECDSASign = 64
)

// wantsClientCert reports whether the server asks for a client certificate.
func (hs *serverHandshake) wantsClientCert() bool {
	return hs.c.config.ClientAuth != tls.NoClientCert && !hs.suite.psk()
}

// certificateRequest builds the CertificateRequest (RFC 5246 §7.4.4). The
// certificate_authorities list is left empty: any CA the client has.
func (hs *serverHandshake) certificateRequest() ([]byte, error) {
	cr := handshake.CertificateRequest{CertificateTypes: []uint8{certTypeECDSASign, certTypeRSASign}}
	if hs.vers == VersionDTLS12 {
		cr.SignatureAlgorithms = signatureAlgorithms
	}
	return cr.Marshal(hs.vers == VersionDTLS12)
}

// clientCertificate takes the client's Certificate, which a client must
// send, possibly empty, when asked (RFC 5246 §7.4.6).
func (hs *serverHandshake) clientCertificate(m fragment.Message) error {
	if m.Type != handshake.TypeCertificate {
		return hs.unexpected(m, "Certificate")
	}
	var cm handshake.Certificate
	if !cm.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	certs, chains, err := hs.c.verifyClientCertificates(cm.Certificates, AlertHandshakeFailure)
	if err != nil {
		return err
	}
	hs.peerCerts, hs.chains = certs, chains
	hs.step = hs.clientKeyExchange
	return nil
}

// certificateVerify checks the client's signature over the transcript up
// to the CertificateVerify (RFC 5246 §7.4.8), after a non-empty client
// Certificate.
func (hs *serverHandshake) certificateVerify(m fragment.Message) error {
	c := hs.c
	if m.Type != handshake.TypeCertificateVerify {
		return hs.unexpected(m, "CertificateVerify")
	}
	tls12 := hs.vers == VersionDTLS12
	var cv handshake.CertificateVerify
	if !cv.Unmarshal(m.Body, tls12) {
		return hs.decodeError(m)
	}
	if tls12 && !slices.Contains(signatureAlgorithms, cv.SigAlg) {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: client used a signature algorithm we did not offer"))
	}
	if err := verifySignature(hs.peerCerts[0].PublicKey, hs.vers, cv.SigAlg, hs.transcriptBefore(m), cv.Signature); err != nil {
		return c.sendAlert(AlertDecryptError, err)
	}
	return hs.deriveKeys()
}
