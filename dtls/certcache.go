package dtls

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// parsedCertsMax and verifiedMax bound the certificates a Config keeps
// parsed and the chains it remembers as verified.
const (
	parsedCertsMax = 64
	verifiedMax    = 64
)

// certCache is what a Config keeps of certificates between handshakes: the
// peers' certificates parsed and the chains it verified, since a client
// talks to the same servers again and again and a server sees the same
// client certificates, and its own chains encoded as Certificate message
// bodies.
type certCache struct {
	mu       sync.Mutex
	parsed   map[string]*x509.Certificate // by DER
	verified map[verifiedKey]verifiedChains
	bodies   map[*tls.Certificate][]byte
}

func (c *Config) certs() *certCache {
	c.certOnce.Do(func() {
		c.certCache = &certCache{
			parsed:   make(map[string]*x509.Certificate),
			verified: make(map[verifiedKey]verifiedChains),
			bodies:   make(map[*tls.Certificate][]byte),
		}
	})
	return c.certCache
}

// A verifiedKey names a verification: the peer's chain exactly as sent,
// and the options that vary within a Config. The roots are the Config's,
// which does not change once in use.
type verifiedKey struct {
	chain [sha256.Size]byte // SHA-256 over the chain, each certificate after its length
	name  string            // VerifyOptions.DNSName
	usage x509.ExtKeyUsage  // server or client authentication
}

func newVerifiedKey(raw [][]byte, opts *x509.VerifyOptions) verifiedKey {
	h := sha256.New()
	var n [4]byte
	for _, der := range raw {
		binary.BigEndian.PutUint32(n[:], uint32(len(der)))
		h.Write(n[:])
		h.Write(der)
	}
	k := verifiedKey{name: opts.DNSName, usage: opts.KeyUsages[0]}
	h.Sum(k.chain[:0])
	return k
}

// verifiedChains is what x509.Certificate.Verify returned for a chain, and
// the times between which it returns that again: every certificate of
// every chain is valid from the latest NotBefore to the earliest NotAfter,
// and nothing else that Verify checks changes with time.
type verifiedChains struct {
	chains      [][]*x509.Certificate
	from, until time.Time
}

// verifiedAt returns a copy of the chains verified under k if they are
// still valid at now.
func (cc *certCache) verifiedAt(k verifiedKey, now time.Time) ([][]*x509.Certificate, bool) {
	cc.mu.Lock()
	v, ok := cc.verified[k]
	cc.mu.Unlock()
	if !ok || now.Before(v.from) || now.After(v.until) {
		return nil, false
	}
	return cloneChains(v.chains), true
}

// cloneChains copies chains, so that a caller may change what its
// ConnectionState holds without changing another's.
func cloneChains(chains [][]*x509.Certificate) [][]*x509.Certificate {
	out := make([][]*x509.Certificate, len(chains))
	for i, chain := range chains {
		out[i] = slices.Clone(chain)
	}
	return out
}

// rememberVerified keeps chains, which Verify returned under k. Only
// successes are kept, so the cache holds chains that end at the Config's
// roots; it is emptied when full, as the parsed certificates are.
func (cc *certCache) rememberVerified(k verifiedKey, chains [][]*x509.Certificate) {
	v := verifiedChains{chains: cloneChains(chains)}
	for _, chain := range chains {
		for _, cert := range chain {
			if v.from.IsZero() || cert.NotBefore.After(v.from) {
				v.from = cert.NotBefore
			}
			if v.until.IsZero() || cert.NotAfter.Before(v.until) {
				v.until = cert.NotAfter
			}
		}
	}
	cc.mu.Lock()
	if len(cc.verified) >= verifiedMax {
		clear(cc.verified)
	}
	cc.verified[k] = v
	cc.mu.Unlock()
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
