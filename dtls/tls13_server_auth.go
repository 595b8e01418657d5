package dtls

import (
	"crypto/tls"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// wantsClientCert13 reports whether a DTLS 1.3 server asks for a client
// certificate: when its Config does, and the handshake is not
// authenticated by a PSK, with which RFC 8446 §4.3.2 leaves no room for
// it.
func (hs *serverHandshake) wantsClientCert13() bool {
	return hs.c.config.ClientAuth != tls.NoClientCert && hs.s13.psk == nil
}

// certificateRequest13 builds the CertificateRequest (RFC 8446 §4.3.2):
// an empty context, the signature schemes we verify.
func (hs *serverHandshake) certificateRequest13() (fragment.Out, error) {
	cr := handshake.CertificateRequest13{}
	cr.Extensions.SignatureAlgorithms = signatureAlgorithms13
	body, err := cr.Marshal()
	if err != nil {
		return fragment.Out{}, err
	}
	return hs.message(2, handshake.TypeCertificateRequest, body), nil
}

// clientCertificate13 takes the client's Certificate, which it sends,
// possibly empty, when asked (RFC 8446 §4.4.2), and verifies it as
// Config.ClientAuth says.
func (hs *serverHandshake) clientCertificate13(m fragment.Message) error {
	if m.Type != handshake.TypeCertificate {
		return hs.unexpected(m, "Certificate")
	}
	var cm handshake.Certificate13
	if !cm.Unmarshal(m.Body) || len(cm.Context) != 0 {
		return hs.decodeError(m)
	}
	certs, chains, err := hs.c.verifyClientCertificates(cm.Certificates, AlertCertificateRequired)
	if err != nil {
		return err
	}
	hs.peerCerts, hs.chains = certs, chains
	hs.step = hs.clientFinished13
	if len(certs) > 0 {
		hs.step = hs.clientCertificateVerify13
	}
	return nil
}

// clientCertificateVerify13 checks the client's signature over the
// transcript (RFC 8446 §4.4.3).
func (hs *serverHandshake) clientCertificateVerify13(m fragment.Message) error {
	if err := hs.checkCertificateVerify13(m, hs.peerCerts[0].PublicKey, &hs.s13.tr, false); err != nil {
		return err
	}
	hs.step = hs.clientFinished13
	return nil
}
