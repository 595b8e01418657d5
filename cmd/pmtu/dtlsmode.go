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
	dtls1       bool // DTLS 1.0 only
	dtls12      bool // DTLS 1.2 only
	dtls13      bool // DTLS 1.3 only
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
	fs.BoolVar(&o.enabled, "dtls", false, "HOST runs a DTLS server on PORT (default 4433): after a handshake, probe with padded KeyUpdates in DTLS 1.3 (RFC 9147), or with padded heartbeats in DTLS 1.2, which the server must accept (RFC 6520); DTLS 1.3 and 1.2 are offered, 1.3 preferred")
	fs.BoolVar(&o.dtls1, "dtls1", false, "with -dtls, use DTLS 1.0 only (RFC 4347; deprecated by RFC 8996)")
	fs.BoolVar(&o.dtls12, "dtls1_2", false, "with -dtls, use DTLS 1.2 only (RFC 6347)")
	fs.BoolVar(&o.dtls13, "dtls1_3", false, "with -dtls, use DTLS 1.3 only (RFC 9147)")
	fs.StringVar(&o.certFile, "cert", "", "with -dtls, client certificate chain `FILE` (PEM, leaf first)")
	fs.StringVar(&o.keyFile, "key", "", "with -dtls, private key `FILE` (PEM); default: the -cert file")
	fs.StringVar(&o.caFile, "CAfile", "", "with -dtls, `FILE` of trusted CA certificates (PEM); default: the system roots")
	fs.BoolVar(&o.insecure, "insecure", false, "with -dtls, do not verify the server's certificate")
	fs.StringVar(&o.serverName, "servername", "", "with -dtls, `NAME` to verify the server's certificate against and send in server_name; default: HOST")
	fs.StringVar(&o.pskHex, "psk", "", "with -dtls, pre-shared key in `HEX` (RFC 4279; in DTLS 1.3 an external PSK with an ECDHE exchange, RFC 8446 section 4.2.9)")
	fs.StringVar(&o.pskIdentity, "psk_identity", "", "with -dtls, PSK identity `ID` to send; default: "+defaultPSKIdentity)
}

// check reports a usage error in the DTLS flags: one given without -dtls,
// two version flags, or a -psk that is not hex.
func (o *dtlsOptions) check() error {
	if o.enabled {
		if _, _, err := cliconfig.Versions(o.dtls1, o.dtls12, o.dtls13); err != nil {
			return err
		}
		_, err := cliconfig.PSK(o.pskHex)
		return err
	}
	set := []struct {
		name string
		on   bool
	}{
		{"-dtls1", o.dtls1},
		{"-dtls1_2", o.dtls12},
		{"-dtls1_3", o.dtls13},
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

// without13 returns the version flag that rules DTLS 1.3 out, or "" if
// none does.
func (o *dtlsOptions) without13() string {
	switch {
	case o.dtls1:
		return "-dtls1"
	case o.dtls12:
		return "-dtls1_2"
	}
	return ""
}

// config builds the client's dtls.Config for a server named host on the
// command line. log, if not nil, receives the handshake and path-MTU
// events.
func (o *dtlsOptions) config(host string, log *slog.Logger) (*dtls.Config, error) {
	c := &dtls.Config{
		ServerName:         o.serverName,
		InsecureSkipVerify: o.insecure,
		Logger:             log,
	}
	var err error
	c.MinVersion, c.MaxVersion, err = cliconfig.Versions(o.dtls1, o.dtls12, o.dtls13)
	if err != nil {
		return nil, err
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
