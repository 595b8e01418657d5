package peer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// KeyType selects the public-key algorithm of every certificate in a
// generated chain.
type KeyType int

const (
	// ECDSAP256 keys are ECDSA on P-256; certificates are signed with
	// ECDSA-SHA256.
	ECDSAP256 KeyType = iota
	// RSA2048 keys are 2048-bit RSA; certificates are signed with
	// SHA256-RSA (PKCS #1 v1.5).
	RSA2048
	// RSA4096 keys are 4096-bit RSA, signed as RSA2048's are: a
	// certificate of about 1.4 KB, and ServerKeyExchange signatures of
	// 512 bytes. Each key takes a second or so to generate.
	RSA4096
	// Ed25519 keys sign with EdDSA (RFC 8032), certificates too; a DTLS
	// 1.2 ECDHE_ECDSA suite signs with them (RFC 8422, Section 5.1.3).
	Ed25519
)

// String returns the name of the key type.
func (k KeyType) String() string {
	switch k {
	case ECDSAP256:
		return "ECDSA P-256"
	case RSA2048:
		return "RSA 2048"
	case RSA4096:
		return "RSA 4096"
	case Ed25519:
		return "Ed25519"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

// ChainOptions configures [NewChain]. The zero value asks for an ECDSA
// P-256 chain of ordinary size.
type ChainOptions struct {
	// Key is the algorithm of every key in the chain.
	Key KeyType
	// Large makes the chain several kilobytes long, so that the
	// Certificate handshake message is fragmented at any common MTU: the
	// chain gets a second intermediate CA, and the leaf a long list of
	// extra DNS names.
	Large bool
	// NoIntermediate has the root CA issue the leaf itself, so that the
	// chain a server presents is the leaf alone; IntermediatesFile then
	// holds no certificate. With Large, the leaf still gets the extra
	// names.
	NoIntermediate bool
}

// largeExtraNames is how many extra DNS names a large chain's leaf
// carries, about 30 bytes each.
const largeExtraNames = 120

// Chain is a certificate chain generated for one test: a root CA, one or
// two intermediate CAs and a leaf for both server and client
// authentication, whose subject alternative names are localhost,
// 127.0.0.1 and ::1. Its files are PEM, in a directory removed when the
// test ends.
type Chain struct {
	// CertFile holds the leaf certificate followed by the intermediate CA
	// certificates, the chain a server presents.
	CertFile string
	// IntermediatesFile holds only the intermediate CA certificates, for
	// tools that take the leaf and the rest of the chain separately
	// (openssl s_server's -cert_chain).
	IntermediatesFile string
	// KeyFile holds the leaf's private key, unencrypted PKCS #8.
	KeyFile string
	// CAFile holds the root CA certificate, the trust anchor.
	CAFile string

	// Certificate holds the same chain and key for the Go side; its Leaf
	// field is set.
	Certificate tls.Certificate
	// Roots holds the root CA certificate.
	Roots *x509.CertPool
}

// NewChain generates a chain as opts asks and writes its files into a
// directory from t.TempDir. It fails t if anything goes wrong.
func NewChain(t testing.TB, opts ChainOptions) *Chain {
	t.Helper()
	c, err := newChain(t.TempDir(), opts, time.Now())
	if err != nil {
		t.Fatalf("generating %v certificate chain: %v", opts.Key, err)
	}
	return c
}

// issued is a certificate together with its private key.
type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newChain(dir string, opts ChainOptions, now time.Time) (*Chain, error) {
	root, err := issue(opts.Key, caTemplate("pathdtls test root CA", now), nil)
	if err != nil {
		return nil, err
	}
	depth := 1
	switch {
	case opts.NoIntermediate:
		depth = 0
	case opts.Large:
		depth = 2
	}
	parent := root
	var intermediates []*x509.Certificate
	for i := range depth {
		ca, err := issue(opts.Key, caTemplate(fmt.Sprintf("pathdtls test intermediate CA %d", i+1), now), parent)
		if err != nil {
			return nil, err
		}
		// The chain a server sends runs from the leaf upwards.
		intermediates = append([]*x509.Certificate{ca.cert}, intermediates...)
		parent = ca
	}
	leaf, err := issue(opts.Key, leafTemplate(opts.Large, now), parent)
	if err != nil {
		return nil, err
	}

	c := &Chain{
		CertFile:          filepath.Join(dir, "chain.pem"),
		IntermediatesFile: filepath.Join(dir, "intermediates.pem"),
		KeyFile:           filepath.Join(dir, "key.pem"),
		CAFile:            filepath.Join(dir, "ca.pem"),
		Certificate:       tls.Certificate{PrivateKey: leaf.key, Leaf: leaf.cert},
		Roots:             x509.NewCertPool(),
	}
	c.Roots.AddCert(root.cert)
	for _, cert := range append([]*x509.Certificate{leaf.cert}, intermediates...) {
		c.Certificate.Certificate = append(c.Certificate.Certificate, cert.Raw)
	}
	if err := c.writeFiles(root.cert, leaf.key); err != nil {
		return nil, err
	}
	return c, nil
}

// writeFiles writes c's files from c.Certificate, the root certificate and
// the leaf's key.
func (c *Chain) writeFiles(root *x509.Certificate, key crypto.Signer) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	files := []struct {
		name   string
		blocks []*pem.Block
	}{
		{c.CertFile, certBlocks(c.Certificate.Certificate)},
		{c.IntermediatesFile, certBlocks(c.Certificate.Certificate[1:])},
		{c.KeyFile, []*pem.Block{{Type: "PRIVATE KEY", Bytes: keyDER}}},
		{c.CAFile, certBlocks([][]byte{root.Raw})},
	}
	for _, f := range files {
		if err := writePEM(f.name, f.blocks); err != nil {
			return err
		}
	}
	return nil
}

func caTemplate(name string, now time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"pathdtls tests"}, CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func leafTemplate(large bool, now time.Time) *x509.Certificate {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"pathdtls tests"}, CommonName: "localhost"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if large {
		for i := range largeExtraNames {
			tmpl.DNSNames = append(tmpl.DNSNames, fmt.Sprintf("padding-%03d.large-chain.pathdtls.test", i))
		}
	}
	return tmpl
}

// issue generates a key of type kt and a certificate from tmpl for it,
// signed by parent, or self-signed when parent is nil.
func issue(kt KeyType, tmpl *x509.Certificate, parent *issued) (*issued, error) {
	var key crypto.Signer
	var err error
	switch kt {
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case RSA4096:
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("unknown key type %v", kt)
	}
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	signer := &issued{cert: tmpl, key: key}
	if parent != nil {
		signer = parent
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer.cert, key.Public(), signer.key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issued{cert: cert, key: key}, nil
}

func certBlocks(ders [][]byte) []*pem.Block {
	var blocks []*pem.Block
	for _, der := range ders {
		blocks = append(blocks, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	return blocks
}

func writePEM(name string, blocks []*pem.Block) error {
	var data []byte
	for _, b := range blocks {
		data = append(data, pem.EncodeToMemory(b)...)
	}
	return os.WriteFile(name, data, 0o600)
}
