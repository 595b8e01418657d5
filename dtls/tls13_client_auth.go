package dtls

import (
	"crypto"
	"crypto/tls"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// clientCertificate13 answers the server's CertificateRequest: our
// Certificate, with the request's context, and a CertificateVerify if we
// have a certificate whose key fits one of the server's signature
// algorithms; an empty Certificate otherwise (RFC 8446 §4.4.2).
func (hs *clientHandshake) clientCertificate13() ([]fragment.Out, error) {
	req := hs.c13.certReq
	certs, err := hs.clientCertificates()
	if err != nil {
		return nil, err
	}
	var cert *tls.Certificate
	var alg uint16
	for i := range certs {
		signer, ok := certs[i].PrivateKey.(crypto.Signer)
		if !ok || len(certs[i].Certificate) == 0 {
			continue
		}
		if a, ok := pickSignature13(signer.Public(), req.Extensions.SignatureAlgorithms); ok {
			cert, alg = &certs[i], a
			break
		}
	}
	m := handshake.Certificate13{Context: req.Context}
	if cert != nil {
		m.Certificates = cert.Certificate
	}
	body, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	items := []fragment.Out{hs.message(2, handshake.TypeCertificate, body)}
	if cert == nil {
		return items, nil
	}
	if body, err = hs.certificateVerify13(cert, alg, &hs.c13.tr, false); err != nil {
		return nil, err
	}
	return append(items, hs.message(2, handshake.TypeCertificateVerify, body)), nil
}

// requestInfo13 describes the server's DTLS 1.3 CertificateRequest.
func (hs *clientHandshake) requestInfo13() *CertificateRequestInfo {
	req := hs.c13.certReq
	info := &CertificateRequestInfo{AcceptableCAs: req.Extensions.CertificateAuthorities, Version: VersionDTLS13}
	for _, s := range req.Extensions.SignatureAlgorithms {
		info.SignatureSchemes = append(info.SignatureSchemes, tls.SignatureScheme(s))
	}
	return info
}
