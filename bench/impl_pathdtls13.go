package main

import (
	"crypto/tls"

	"github.com/pathdtls/pathdtls/dtls"
)

// newPathdtls13 makes pathdtls's DTLS 1.3 configurations of both suites
// over p (RFC 9147): TLS_AES_128_GCM_SHA256 with an X25519 key share, and
// the certificate chain or an external PSK, which pathdtls offers and
// accepts only in psk_dhe_ke mode (RFC 8446 §4.2.9). The server's
// stateless cookie stays on, so every first ClientHello is answered with
// a HelloRetryRequest carrying a cookie (RFC 8446 §4.1.4, RFC 9147 §5.1).
// CipherSuites names the suite, so that a CPU without AES instructions,
// whose default puts ChaCha20-Poly1305 first, measures the same one.
func newPathdtls13(p *pki) *pathdtlsImpl {
	x25519 := []tls.CurveID{tls.X25519}
	key := func([]byte) ([]byte, error) { return pskKey, nil }
	cfg := func(c *dtls.Config) *dtls.Config {
		c.MinVersion, c.MaxVersion = dtls.VersionDTLS13, dtls.VersionDTLS13
		c.CurvePreferences = x25519
		c.CipherSuites = []uint16{dtls.TLS_AES_128_GCM_SHA256}
		return c
	}
	im := &pathdtlsImpl{
		label: "pathdtls DTLS 1.3", ver: dtls.VersionDTLS13,
		client: map[string]*dtls.Config{
			suiteECDSA.name: cfg(&dtls.Config{RootCAs: p.pool, ServerName: serverName}),
			suitePSK.name:   cfg(&dtls.Config{PSK: key, PSKIdentity: pskIdentity}),
		},
	}
	if p.cert.PrivateKey != nil {
		im.server = map[string]*dtls.Config{
			suiteECDSA.name: cfg(&dtls.Config{Certificates: []tls.Certificate{p.cert}}),
			suitePSK.name:   cfg(&dtls.Config{PSK: key}),
		}
	}
	return im
}
