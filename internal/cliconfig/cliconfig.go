// Package cliconfig turns the certificate, CA, PSK and version flags that
// the dtls and pmtu commands share into dtls.Config values, with messages
// that name the flags.
package cliconfig

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

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

// Versions returns the range of versions that the flags -dtls1, -dtls1_2
// and -dtls1_3 select, given which of them were set: the one set, or by
// default DTLS 1.2 to 1.3. More than one is a usage error.
func Versions(dtls1, dtls12, dtls13 bool) (minVersion, maxVersion uint16, err error) {
	var given []string
	for _, f := range []struct {
		set  bool
		name string
		v    uint16
	}{{dtls1, "-dtls1", dtls.VersionDTLS10}, {dtls12, "-dtls1_2", dtls.VersionDTLS12}, {dtls13, "-dtls1_3", dtls.VersionDTLS13}} {
		if f.set {
			given = append(given, f.name)
			minVersion, maxVersion = f.v, f.v
		}
	}
	switch len(given) {
	case 0:
		return dtls.VersionDTLS12, dtls.VersionDTLS13, nil
	case 1:
		return minVersion, maxVersion, nil
	}
	return 0, 0, fmt.Errorf("%s and %s are mutually exclusive", strings.Join(given[:len(given)-1], ", "), given[len(given)-1])
}

// AppendEvent appends to b the line -v shows for an event: its message,
// then attrs and r's attributes as key=value, a value that is empty or
// holds a space, a quote or an equals sign quoted, so that each stays one
// field.
func AppendEvent(b *strings.Builder, r slog.Record, attrs []slog.Attr) {
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(QuoteValue(a.Value.Resolve().String()))
		return true
	}
	for _, a := range attrs {
		add(a)
	}
	r.Attrs(add)
}

// QuoteValue quotes s as AppendEvent writes an attribute's value.
func QuoteValue(s string) string {
	if s == "" || strings.ContainsAny(s, " \"=\t\n") {
		return strconv.Quote(s)
	}
	return s
}
