package main

import (
	"cmp"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
)

// defaultDTLSPort is the port probe -dtls connects to when none is given:
// the one OpenSSL's s_server and the dtls command's examples use.
const defaultDTLSPort = 4433

// defaultPSKIdentity is the identity sent with -psk when -psk_identity is
// not given, as the dtls command and OpenSSL's s_client send.
const defaultPSKIdentity = "Client_identity"

// dtlsOptions are the flags of probe -dtls that build the client's
// dtls.Config. Their names are those of "dtls client", which follow
// OpenSSL's s_client.
type dtlsOptions struct {
	enabled     bool // -dtls
	dtls1       bool
	certFile    string
	keyFile     string
	caFile      string
	insecure    bool
	serverName  string
	pskHex      string
	pskIdentity string
}

// register defines the flags on fs.
func (o *dtlsOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.enabled, "dtls", false, "HOST runs a DTLS server on PORT (default 4433) that accepts heartbeat requests (RFC 6520): probe with padded heartbeats after a handshake")
	fs.BoolVar(&o.dtls1, "dtls1", false, "with -dtls, use DTLS 1.0 (RFC 4347; deprecated by RFC 8996) instead of DTLS 1.2")
	fs.StringVar(&o.certFile, "cert", "", "with -dtls, client certificate chain `FILE` (PEM, leaf first)")
	fs.StringVar(&o.keyFile, "key", "", "with -dtls, private key `FILE` (PEM); default: the -cert file")
	fs.StringVar(&o.caFile, "CAfile", "", "with -dtls, `FILE` of trusted CA certificates (PEM); default: the system roots")
	fs.BoolVar(&o.insecure, "insecure", false, "with -dtls, do not verify the server's certificate")
	fs.StringVar(&o.serverName, "servername", "", "with -dtls, `NAME` to verify the server's certificate against and send in server_name; default: HOST")
	fs.StringVar(&o.pskHex, "psk", "", "with -dtls, pre-shared key in `HEX` (RFC 4279)")
	fs.StringVar(&o.pskIdentity, "psk_identity", "", "with -dtls, PSK identity `ID` to send; default: "+defaultPSKIdentity)
}

// check reports a usage error in the DTLS flags: one given without -dtls,
// or a -psk that is not hex.
func (o *dtlsOptions) check() error {
	if o.enabled {
		_, err := cliconfig.PSK(o.pskHex)
		return err
	}
	set := []struct {
		name string
		on   bool
	}{
		{"-dtls1", o.dtls1},
		{"-cert", o.certFile != ""},
		{"-key", o.keyFile != ""},
		{"-CAfile", o.caFile != ""},
		{"-insecure", o.insecure},
		{"-servername", o.serverName != ""},
		{"-psk", o.pskHex != ""},
		{"-psk_identity", o.pskIdentity != ""},
	}
	for _, f := range set {
		if f.on {
			return fmt.Errorf("%s needs -dtls", f.name)
		}
	}
	return nil
}

// config builds the client's dtls.Config for a server named host on the
// command line. log, if not nil, receives the handshake and path-MTU
// events.
func (o *dtlsOptions) config(host string, log *slog.Logger) (*dtls.Config, error) {
	c := &dtls.Config{
		ServerName:         o.serverName,
		InsecureSkipVerify: o.insecure,
		MinVersion:         dtls.VersionDTLS12,
		MaxVersion:         dtls.VersionDTLS12,
		Logger:             log,
	}
	if o.dtls1 {
		c.MinVersion, c.MaxVersion = dtls.VersionDTLS10, dtls.VersionDTLS10
	}
	if c.ServerName == "" {
		c.ServerName = host
		if a, err := netip.ParseAddr(host); err == nil {
			c.ServerName = a.WithZone("").String()
		}
	}
	if err := o.certificates(c); err != nil {
		return nil, err
	}
	key, err := cliconfig.PSK(o.pskHex)
	if err != nil {
		return nil, err
	}
	if key != nil {
		c.PSK = func([]byte) ([]byte, error) { return key, nil }
		c.PSKIdentity = []byte(cmp.Or(o.pskIdentity, defaultPSKIdentity))
	}
	return c, nil
}

// certificates loads the client certificate and the trusted CAs into c.
func (o *dtlsOptions) certificates(c *dtls.Config) error {
	cert, err := cliconfig.Certificate(o.certFile, o.keyFile)
	if err != nil {
		return err
	}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	c.RootCAs, err = cliconfig.CertPool(o.caFile)
	return err
}
