package dtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// pickClientCertificate picks the certificate a client sends in answer to req
// (RFC 5246 §7.4.4, §7.4.6): the first of certs whose key type is among
// req.CertificateTypes and, in DTLS 1.2, that can sign with one of
// req.SignatureAlgorithms we support; nil when none fits. It also returns the
// signature algorithm for the CertificateVerify: our first preference among
// req's for the key in DTLS 1.2, 0 in DTLS 1.0, which names none (RFC 4346
// §7.4.8).
//
// A client with nothing that fits answers with an empty Certificate and no
// CertificateVerify, and leaves it to the server to go on or to abort
// (RFC 5246 §7.4.6). Only the leaf's key is checked: the signatures in the
// chain and req.Authorities are the server's to judge.
func pickClientCertificate(certs []tls.Certificate, req *handshake.CertificateRequest, vers uint16) (*tls.Certificate, uint16) {
	// supported_signature_algorithms is not optional in DTLS 1.2: an
	// empty list must not stand for the SHA-1 default that pickSignature
	// applies to a ClientHello without the extension.
	if vers == VersionDTLS12 && len(req.SignatureAlgorithms) == 0 {
		return nil, 0
	}
	for i := range certs {
		cert := &certs[i]
		signer, ok := cert.PrivateKey.(crypto.Signer)
		if !ok || len(cert.Certificate) == 0 {
			continue
		}
		pub := signer.Public()
		typ, ok := clientCertificateType(pub)
		if !ok || !slices.Contains(req.CertificateTypes, typ) {
			continue
		}
		if vers != VersionDTLS12 {
			if _, ed := pub.(ed25519.PublicKey); ed {
				continue // EdDSA needs signature_algorithms
			}
			return cert, 0
		}
		if alg, ok := pickSignature(pub, req.SignatureAlgorithms); ok {
			return cert, alg
		}
	}
	return nil, 0
}

// clientCertificateType returns the ClientCertificateType that names a key
// we can sign with: rsa_sign (RFC 5246 §7.4.4) or ecdsa_sign (RFC 8422 §5.5).
func clientCertificateType(pub crypto.PublicKey) (uint8, bool) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return certTypeRSASign, true
	case *ecdsa.PublicKey, ed25519.PublicKey: // RFC 8422 §5.5: ecdsa_sign covers EdDSA
		return certTypeECDSASign, true
	}
	return 0, false
}
