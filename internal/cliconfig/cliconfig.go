// Package cliconfig turns the certificate, CA and PSK flags that the dtls
// and pmtu commands share into dtls.Config values, with messages that name
// the flags.
package cliconfig

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/pathdtls/pathdtls/dtls"
)

// Certificate loads the chain of -cert certFile and the key of -key keyFile
// (the certificate file itself when keyFile is empty). It returns nil when
// neither is given.
func Certificate(certFile, keyFile string) (*tls.Certificate, error) {
	if certFile == "" {
		if keyFile != "" {
			return nil, errors.New("-key needs -cert")
		}
		return nil, nil
	}
	if keyFile == "" {
		keyFile = certFile
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading -cert %s and -key %s: %w", certFile, keyFile, err)
	}
	return &cert, nil
}

// CertPool loads the PEM certificates of -CAfile file; nil when file is
// empty.
func CertPool(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-CAfile %s holds no PEM certificate", file)
	}
	return pool, nil
}

// PSK decodes the key of -psk hexKey; nil when hexKey is empty.
func PSK(hexKey string) ([]byte, error) {
	if hexKey == "" {
		return nil, nil
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("-psk %q is not a non-empty hex string", hexKey)
	}
	return key, nil
}

// VersionName names a protocol version as the tools print it.
func VersionName(v uint16) string {
	switch v {
	case dtls.VersionDTLS10:
		return "DTLSv1.0"
	case dtls.VersionDTLS12:
		return "DTLSv1.2"
	case dtls.VersionDTLS13:
		return "DTLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}
