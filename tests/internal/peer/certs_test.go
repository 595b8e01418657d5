package peer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"
	"time"
)

func TestNewChain(t *testing.T) {
	t.Parallel()
	for _, opts := range []ChainOptions{
		{Key: ECDSAP256},
		{Key: ECDSAP256, Large: true},
		{Key: RSA2048},
		{Key: RSA2048, Large: true},
		{Key: RSA4096, NoIntermediate: true},
		{Key: ECDSAP256, Large: true, NoIntermediate: true},
	} {
		name := opts.Key.String()
		if opts.Large {
			name += "/large"
		}
		if opts.NoIntermediate {
			name += "/no-intermediate"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkChain(t, NewChain(t, opts), opts)
		})
	}
}

func checkChain(t *testing.T, c *Chain, opts ChainOptions) {
	certs := c.Certificate.Certificate
	size := 0
	for _, der := range certs {
		size += len(der)
	}
	wantCerts := 2
	switch {
	case opts.NoIntermediate:
		wantCerts = 1
	case opts.Large:
		wantCerts = 3
	}
	if len(certs) != wantCerts || c.Certificate.Leaf == nil || !bytes.Equal(c.Certificate.Leaf.Raw, certs[0]) {
		t.Fatalf("Certificate holds %d certificates (leaf set: %v), want %d", len(certs), c.Certificate.Leaf != nil, wantCerts)
	}
	if opts.Large != (size > 4096) && !opts.NoIntermediate {
		t.Errorf("chain is %d bytes; large: %v", size, opts.Large)
	}

	intermediates := x509.NewCertPool()
	for _, der := range certs[1:] {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		intermediates.AddCert(cert)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := c.Certificate.Leaf.Verify(x509.VerifyOptions{
			DNSName:       name,
			Roots:         c.Roots,
			Intermediates: intermediates,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		})
		if err != nil {
			t.Errorf("verifying the leaf for %s: %v", name, err)
		}
	}
	switch key := c.Certificate.PrivateKey.(type) {
	case *ecdsa.PrivateKey:
		if opts.Key != ECDSAP256 || key.Curve.Params().Name != "P-256" {
			t.Errorf("ECDSA key on %s for %v", key.Curve.Params().Name, opts.Key)
		}
	case *rsa.PrivateKey:
		if bits := map[KeyType]int{RSA2048: 2048, RSA4096: 4096}[opts.Key]; key.N.BitLen() != bits {
			t.Errorf("%d-bit RSA key for %v", key.N.BitLen(), opts.Key)
		}
	default:
		t.Errorf("private key of type %T", key)
	}
	checkChainFiles(t, c)
}

// checkChainFiles checks that the files hold what the Go values do.
func checkChainFiles(t *testing.T, c *Chain) {
	certs := c.Certificate.Certificate
	if got := readPEM(t, c.CertFile, "CERTIFICATE"); !equalDER(got, certs) {
		t.Errorf("%s does not hold the leaf and the intermediates", c.CertFile)
	}
	if got := readPEM(t, c.IntermediatesFile, "CERTIFICATE"); !equalDER(got, certs[1:]) {
		t.Errorf("%s does not hold the intermediates", c.IntermediatesFile)
	}
	roots := readPEM(t, c.CAFile, "CERTIFICATE")
	if len(roots) != 1 {
		t.Fatalf("%s holds %d certificates", c.CAFile, len(roots))
	}
	root, err := x509.ParseCertificate(roots[0])
	if err != nil {
		t.Fatal(err)
	}
	if !c.Roots.Equal(poolOf(root)) || !root.IsCA || root.CheckSignatureFrom(root) != nil {
		t.Errorf("%s does not hold the self-signed root CA in Roots", c.CAFile)
	}
	if len(readPEM(t, c.KeyFile, "PRIVATE KEY")) != 1 {
		t.Errorf("%s holds no single PKCS #8 key", c.KeyFile)
	}
	pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		t.Fatalf("loading the files as a key pair: %v", err)
	}
	if !equalDER(pair.Certificate, certs) {
		t.Error("the files' key pair differs from Certificate")
	}
}

func readPEM(t *testing.T, name, blockType string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var ders [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != blockType {
			t.Errorf("%s holds a %s block, want %s", name, b.Type, blockType)
		}
		ders = append(ders, b.Bytes)
	}
	if len(bytes.TrimSpace(data)) != 0 {
		t.Errorf("%s has trailing data", name)
	}
	return ders
}

func equalDER(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestChainValidity(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := newChain(t.TempDir(), ChainOptions{}, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := c.Certificate.Leaf
	if !leaf.NotBefore.Before(now) || !leaf.NotAfter.After(now.Add(time.Hour)) {
		t.Errorf("leaf valid from %v to %v, want a period around %v", leaf.NotBefore, leaf.NotAfter, now)
	}
	if want := []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}; len(leaf.IPAddresses) != 2 ||
		!leaf.IPAddresses[0].Equal(want[0]) || !leaf.IPAddresses[1].Equal(want[1]) {
		t.Errorf("leaf IP addresses %v, want %v", leaf.IPAddresses, want)
	}
}

// TestChainTools checks the files with the tools' own verifiers.
func TestChainTools(t *testing.T) {
	t.Parallel()
	for _, opts := range []ChainOptions{{Key: ECDSAP256, Large: true}, {Key: RSA2048}} {
		c := NewChain(t, opts)
		t.Run("openssl/"+opts.Key.String(), func(t *testing.T) {
			t.Parallel()
			// openssl verify checks the first certificate in CertFile, the
			// leaf.
			p := Start(t, "openssl", []string{"verify", "-CAfile", c.CAFile, "-untrusted", c.IntermediatesFile,
				"-purpose", "sslserver", "-verify_hostname", "localhost", c.CertFile}, nil)
			if err := p.Wait(t, time.Minute); err != nil {
				t.Errorf("%v: %v", p, err)
			}
			p.Await(t, `(?m): OK$`, time.Minute)
		})
		t.Run("certtool/"+opts.Key.String(), func(t *testing.T) {
			t.Parallel()
			p := Start(t, "certtool", []string{"--verify", "--load-ca-certificate", c.CAFile,
				"--verify-hostname", "localhost", "--infile", c.CertFile}, nil)
			if err := p.Wait(t, time.Minute); err != nil {
				t.Errorf("%v: %v", p, err)
			}
			p.Await(t, `Chain verification output: Verified`, time.Minute)
		})
	}
}
