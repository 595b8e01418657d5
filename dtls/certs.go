package dtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// verifyServerCertificates parses and (unless InsecureSkipVerify) verifies
// the server's chain against RootCAs and ServerName, then runs
// VerifyPeerCertificate (RFC 5246 §7.4.2).
func (c *Conn) verifyServerCertificates(raw [][]byte) ([]*x509.Certificate, [][]*x509.Certificate, error) {
	if len(raw) == 0 {
		return nil, nil, c.sendAlert(AlertBadCertificate, errors.New("dtls: server sent no certificate"))
	}
	cfg := c.config
	return c.verifyPeer(raw, !cfg.InsecureSkipVerify, x509.VerifyOptions{
		Roots:     cfg.RootCAs,
		DNSName:   cfg.ServerName,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
}

// verifyClientCertificates checks the client's chain as Config.ClientAuth
// asks (RFC 5246 §7.4.6). An empty chain is an error only when a
// certificate is required, and the alert is then missing:
// handshake_failure in DTLS 1.2 and before, certificate_required in DTLS
// 1.3 (RFC 8446 §4.4.2.4).
func (c *Conn) verifyClientCertificates(raw [][]byte, missing Alert) ([]*x509.Certificate, [][]*x509.Certificate, error) {
	auth := c.config.ClientAuth
	if len(raw) == 0 {
		if auth == tls.RequireAnyClientCert || auth == tls.RequireAndVerifyClientCert {
			return nil, nil, c.sendAlert(missing, errors.New("dtls: client sent no certificate"))
		}
		return nil, nil, nil
	}
	verify := auth == tls.VerifyClientCertIfGiven || auth == tls.RequireAndVerifyClientCert
	return c.verifyPeer(raw, verify, x509.VerifyOptions{
		Roots:     c.config.ClientCAs,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// verifyPeer parses a peer's chain, verifies it with opts if verify is set,
// and runs VerifyPeerCertificate.
func (c *Conn) verifyPeer(raw [][]byte, verify bool, opts x509.VerifyOptions) ([]*x509.Certificate, [][]*x509.Certificate, error) {
	certs := make([]*x509.Certificate, len(raw))
	for i, der := range raw {
		cert, err := c.config.certs().parse(der)
		if err != nil {
			return nil, nil, c.sendAlert(AlertBadCertificate, errors.New("dtls: failed to parse the peer's certificate: "+err.Error()))
		}
		certs[i] = cert
	}
	var chains [][]*x509.Certificate
	if verify {
		var err error
		if chains, err = c.verifyChain(raw, certs, opts); err != nil {
			return nil, nil, c.sendAlert(certificateAlert(err), &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err})
		}
	}
	if f := c.config.VerifyPeerCertificate; f != nil {
		if err := f(raw, chains); err != nil {
			return nil, nil, c.sendAlert(AlertBadCertificate, err)
		}
	}
	return certs, chains, nil
}

// verifyChain verifies a peer's chain, parsed as certs, with opts at the
// Config's time, or finds that the Config verified the same chain with the
// same options before and that it is still valid. A chain's signatures
// are checked once per Config rather than once per handshake: the peer's
// own signature, which proves it holds the key, is checked every time.
func (c *Conn) verifyChain(raw [][]byte, certs []*x509.Certificate, opts x509.VerifyOptions) ([][]*x509.Certificate, error) {
	cache := c.config.certs()
	now := c.config.now()
	k := newVerifiedKey(raw, &opts)
	if chains, ok := cache.verifiedAt(k, now); ok {
		return chains, nil
	}
	opts.CurrentTime = now
	if len(certs) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, cert := range certs[1:] {
			opts.Intermediates.AddCert(cert)
		}
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, err
	}
	cache.rememberVerified(k, chains)
	return chains, nil
}

// certificateAlert picks the alert for a verification failure.
func certificateAlert(err error) Alert {
	var inv x509.CertificateInvalidError
	var ua x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return AlertCertificateExpired
	case errors.As(err, &ua):
		return AlertUnknownCA
	}
	return AlertBadCertificate
}

// certFor returns the first of certs whose key suits the key exchange,
// with its public key.
func certFor(certs []tls.Certificate, kx keyExchange) (*tls.Certificate, crypto.PublicKey) {
	for i := range certs {
		cert := &certs[i]
		signer, ok := cert.PrivateKey.(crypto.Signer)
		if !ok || len(cert.Certificate) == 0 {
			continue
		}
		pub := signer.Public()
		if kxAcceptsKey(kx, pub) {
			return cert, pub
		}
	}
	return nil, nil
}

// kxAcceptsKey reports whether a certificate key fits an ECDHE suite's
// authentication (RFC 8422 §2).
func kxAcceptsKey(kx keyExchange, pub crypto.PublicKey) bool {
	switch pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey: // RFC 8422 §5.1.3: ECDHE_ECDSA suites sign with EdDSA too
		return kx == kxECDHEECDSA
	case *rsa.PublicKey:
		return kx == kxECDHERSA
	}
	return false
}

// hostnameForSNI returns name if it may go in server_name: not an IP
// address (RFC 6066 §3).
func hostnameForSNI(name string) string {
	if name == "" || net.ParseIP(name) != nil {
		return ""
	}
	return name
}
