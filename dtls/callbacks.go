package dtls

import (
	"crypto/tls"
	"net"
)

// The crypto/tls callbacks, with the same meaning where DTLS allows:
// Config.GetConfigForClient, Config.GetCertificate (a certificate chosen
// by server_name, RFC 6066 §3), Config.GetClientCertificate and
// Config.VerifyConnection.

// A ClientHelloInfo describes a ClientHello, for GetCertificate and
// GetConfigForClient, as crypto/tls's does.
type ClientHelloInfo struct {
	// CipherSuites are the suites the client offers, in its order.
	CipherSuites []uint16
	// ServerName is the host name of server_name (RFC 6066 §3), or "".
	ServerName string
	// SupportedCurves are the groups of supported_groups (RFC 8422 §5.1.1).
	SupportedCurves []tls.CurveID
	// SupportedPoints are the ec_point_formats (RFC 8422 §5.1.2).
	SupportedPoints []uint8
	// SignatureSchemes are the signature_algorithms (RFC 5246 §7.4.1.4.1);
	// empty in DTLS 1.0.
	SignatureSchemes []tls.SignatureScheme
	// SupportedProtos are the ALPN protocols (RFC 7301).
	SupportedProtos []string
	// Version is the newest version the client supports.
	Version uint16
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr
}

// A CertificateRequestInfo describes the server's CertificateRequest, for
// GetClientCertificate, as crypto/tls's does.
type CertificateRequestInfo struct {
	// AcceptableCAs are the DER distinguished names of the CAs the server
	// accepts; empty means any.
	AcceptableCAs [][]byte
	// SignatureSchemes are those the server accepts; empty in DTLS 1.0.
	SignatureSchemes []tls.SignatureScheme
	// Version is the version negotiated.
	Version uint16
}

// helloInfo describes the ClientHello being answered.
func (hs *serverHandshake) helloInfo() *ClientHelloInfo {
	ext := &hs.ch.Extensions
	info := &ClientHelloInfo{
		CipherSuites:    hs.ch.CipherSuites,
		ServerName:      ext.ServerName,
		SupportedPoints: ext.PointFormats,
		SupportedProtos: ext.ALPNProtocols,
		Version:         hs.ch.Version,
		RemoteAddr:      hs.c.link.RemoteAddr(),
	}
	for _, g := range ext.SupportedGroups {
		info.SupportedCurves = append(info.SupportedCurves, tls.CurveID(g))
	}
	for _, s := range ext.SignatureAlgorithms {
		info.SignatureSchemes = append(info.SignatureSchemes, tls.SignatureScheme(s))
	}
	return info
}

// configForClient lets GetConfigForClient replace the Config for the rest
// of the handshake and the association. The record layer keeps what it
// took from the first (ReplayWindow, ReceiveQueueSize, DatagramSize).
func (hs *serverHandshake) configForClient() error {
	f := hs.c.config.GetConfigForClient
	if f == nil {
		return nil
	}
	nc, err := f(hs.helloInfo())
	if err != nil {
		return hs.c.sendAlert(AlertInternalError, err)
	}
	if nc != nil {
		if err := nc.CheckServer(); err != nil {
			return hs.c.sendAlert(AlertInternalError, err)
		}
		hs.c.config = nc
	}
	return nil
}

// serverCertificates returns the certificates the server may present:
// GetCertificate's, if it is set and returns one, else Config.Certificates.
// It reports whether the certificate came from GetCertificate, whose
// encoding is not kept.
func (hs *serverHandshake) serverCertificates() ([]tls.Certificate, bool, error) {
	cfg := hs.c.config
	if cfg.GetCertificate == nil {
		return cfg.Certificates, false, nil
	}
	cert, err := cfg.GetCertificate(hs.helloInfo())
	if err != nil {
		return nil, false, hs.c.sendAlert(AlertInternalError, err)
	}
	if cert == nil {
		return cfg.Certificates, false, nil
	}
	return []tls.Certificate{*cert}, true, nil
}

// requestInfo describes the server's CertificateRequest.
func (hs *clientHandshake) requestInfo() *CertificateRequestInfo {
	if hs.c13 != nil && hs.c13.certReq != nil {
		return hs.requestInfo13()
	}
	info := &CertificateRequestInfo{AcceptableCAs: hs.certReq.Authorities, Version: hs.vers}
	for _, s := range hs.certReq.SignatureAlgorithms {
		info.SignatureSchemes = append(info.SignatureSchemes, tls.SignatureScheme(s))
	}
	return info
}

// clientCertificates returns the certificates the client may present:
// GetClientCertificate's, if it is set, else Config.Certificates.
func (hs *clientHandshake) clientCertificates() ([]tls.Certificate, error) {
	cfg := hs.c.config
	if cfg.GetClientCertificate == nil {
		return cfg.Certificates, nil
	}
	cert, err := cfg.GetClientCertificate(hs.requestInfo())
	if err != nil {
		return nil, hs.c.sendAlert(AlertInternalError, err)
	}
	if cert == nil || len(cert.Certificate) == 0 {
		return nil, nil
	}
	return []tls.Certificate{*cert}, nil
}

// verifyConnection runs Config.VerifyConnection on the state of a
// handshake that is completing, full or resumed; an error fails it with a
// bad_certificate alert, as crypto/tls does.
func (hs *hsBase) verifyConnection(st *ConnectionState) error {
	f := hs.c.config.VerifyConnection
	if f == nil {
		return nil
	}
	if err := f(*st); err != nil {
		return hs.c.sendAlert(AlertBadCertificate, err)
	}
	return nil
}
