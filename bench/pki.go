package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testpki"
)

// A suite is one of the two kinds of handshake measured. Every
// implementation builds its own configurations from it, so that all of one
// version negotiate the same thing. In DTLS 1.2:
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 over P-256 and a server
// certificate chain of two (leaf and CA), or TLS_PSK_WITH_AES_128_GCM_SHA256
// (RFC 4279 §2, RFC 5487). In DTLS 1.3 (RFC 9147): TLS_AES_128_GCM_SHA256
// with an X25519 key share, and either the same certificate chain
// (ecdsa_secp256r1_sha256) or an external PSK in psk_dhe_ke mode (RFC 8446
// §4.2.9), which adds an X25519 exchange that the 1.2 PSK suite does not do.
type suite struct {
	name string // "ECDHE-ECDSA" or "PSK"
	id   uint16 // the DTLS 1.2 cipher suite's IANA number
	id13 uint16 // the DTLS 1.3 cipher suite's IANA number
	psk  bool
}

var (
	suiteECDSA = suite{name: "ECDHE-ECDSA", id: 0xc02b, id13: 0x1301}
	suitePSK   = suite{name: "PSK", id: 0x00a8, id13: 0x1301, psk: true}
	// suites are the suites of the handshake phases, in the table's order.
	suites = []suite{suiteECDSA, suitePSK}
)

// idFor returns the cipher suite s negotiates in DTLS version v.
func (s suite) idFor(v uint16) uint16 {
	if v == dtls.VersionDTLS13 {
		return s.id13
	}
	return s.id
}

// pskKey, pskIdentity and pskHint are the pre-shared key of the PSK suite,
// the identity a client sends and the hint a server sends.
var (
	pskKey      = []byte("0123456789abcdef")
	pskIdentity = []byte("bench-client")
	pskHint     = []byte("bench-server")
)

// serverName is the name the server certificate is issued for and the
// clients verify.
const serverName = "localhost"

// A pki holds a throwaway certificate authority and a server certificate
// it issued, both ECDSA P-256.
type pki struct {
	caDER []byte
	pool  *x509.CertPool
	cert  tls.Certificate
}

// newPKI makes a CA and a server certificate for serverName and the
// loopback addresses, with the CA after the leaf in the chain.
func newPKI() (*pki, error) {
	ca, err := testpki.NewCA("pathdtls bench CA")
	if err != nil {
		return nil, err
	}
	cert, err := ca.IssueECDSA() // named "localhost", serverName
	if err != nil {
		return nil, err
	}
	return &pki{caDER: ca.Cert.Raw, pool: ca.Pool(), cert: cert}, nil
}

// clientPKI returns the part of a pki a client needs, the CA's pool, from
// the CA certificate's DER (as a child process gets it).
func clientPKI(caDER []byte) (*pki, error) {
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("bench: parsing the CA certificate: %w", err)
	}
	return &pki{caDER: caDER, pool: poolOf(ca)}, nil
}

// poolOf returns a pool that trusts only ca.
func poolOf(ca *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca)
	return p
}
