package dtls

import (
	"crypto/tls"
	"crypto/x509"
	"sync"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// parsedCertsMax bounds the certificates a Config keeps parsed.
const parsedCertsMax = 64

// certCache is what a Config keeps of certificates between handshakes: the
// peers' certificates parsed, since a client talks to the same servers
// again and again (verification still runs every time), and its own chains
// encoded as Certificate message bodies.
type certCache struct {
	mu     sync.Mutex
	parsed map[string]*x509.Certificate // by DER
	bodies map[*tls.Certificate][]byte
}

func (c *Config) certs() *certCache {
	c.certOnce.Do(func() {
		c.certCache = &certCache{parsed: make(map[string]*x509.Certificate), bodies: make(map[*tls.Certificate][]byte)}
	})
	return c.certCache
}

// parse returns der parsed, from the cache when it was seen before. The
// cache is emptied when full: a Config that sees many peers parses as
// often as without it.
func (cc *certCache) parse(der []byte) (*x509.Certificate, error) {
	cc.mu.Lock()
	cert := cc.parsed[string(der)]
	cc.mu.Unlock()
	if cert != nil {
		return cert, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if len(cc.parsed) >= parsedCertsMax {
		clear(cc.parsed)
	}
	cc.parsed[string(der)] = cert
	cc.mu.Unlock()
	return cert, nil
}

// body returns the Certificate message body (RFC 5246 §7.4.2) of cert,
// encoded once.
func (cc *certCache) body(cert *tls.Certificate) ([]byte, error) {
	cc.mu.Lock()
	b, ok := cc.bodies[cert]
	cc.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := (&handshake.Certificate{Certificates: cert.Certificate}).Marshal()
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	cc.bodies[cert] = b
	cc.mu.Unlock()
	return b, nil
}
