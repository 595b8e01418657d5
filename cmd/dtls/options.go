package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
)

// role says which side a set of flags configures.
type role int

const (
	roleClient role = iota
	roleServer
)

// defaultPSKIdentity is the identity a client sends when -psk is given
// without -psk_identity, the same default as OpenSSL's s_client.
const defaultPSKIdentity = "Client_identity"

// options holds the flags that build a dtls.Config. Their names follow
// OpenSSL's s_client and s_server.
type options struct {
	dtls1, dtls12  bool
	dtls13         bool
	cipher         string
	certFile       string
	keyFile        string
	caFile         string
	verify         int
	verifyRequired int
	insecure       bool
	serverName     string
	pskHex         string
	pskIdentity    string
	pskHint        string
	mtu            int
	noCookie       bool
	noTicket       bool
	renegAllow     bool          // client: accept the server's renegotiations
	reconnect      bool          // client: connect again, resuming the session
	renegEvery     time.Duration // server: ask for one this often
	keyUpdate      seconds       // send a KeyUpdate this often; 0: never
	cid            int           // length of the connection IDs to ask for; -1: none
	alpn           string        // ALPN protocols, comma-separated
	srtp           string        // SRTP profiles, colon-separated
	keymatLabel    string        // exporter label
	keymatLen      int           // exporter length
	keylogFile     string        // NSS key log
	timeout        time.Duration
	verbose        bool
}

// register defines the flags of role on fs.
func (o *options) register(fs *flag.FlagSet, r role) {
	fs.BoolVar(&o.dtls1, "dtls1", false, "use DTLS 1.0 only (RFC 4347; deprecated by RFC 8996)")
	fs.BoolVar(&o.dtls12, "dtls1_2", false, "use DTLS 1.2 only (RFC 6347); by default DTLS 1.3 and 1.2 are offered, and 1.3 is used when the peer speaks it")
	fs.BoolVar(&o.dtls13, "dtls1_3", false, "use DTLS 1.3 only (RFC 9147)")
	fs.StringVar(&o.cipher, "cipher", "", "comma-separated `LIST` of IANA cipher suite names, in order of preference, of DTLS 1.3 (TLS_AES_128_GCM_SHA256, ...) and of DTLS 1.2 (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...); a version none of whose suites is listed is not offered")
	fs.Var(&o.keyUpdate, "keyupdate", "after the handshake, send a DTLS 1.3 KeyUpdate that asks the peer to update its keys too (RFC 9147 §8) every `N` seconds (or a duration such as 500ms); 0: never")
	fs.StringVar(&o.certFile, "cert", "", "certificate chain `FILE` (PEM, leaf first)")
	fs.StringVar(&o.keyFile, "key", "", "private key `FILE` (PEM); default: the -cert file")
	fs.StringVar(&o.pskHex, "psk", "", "pre-shared key in `HEX` (RFC 4279)")
	fs.IntVar(&o.mtu, "mtu", 0, "fix the path MTU at `N` bytes including IP and UDP headers (datagrams of N-28 bytes to IPv4 peers, N-48 to IPv6)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "handshake timeout")
	fs.BoolVar(&o.verbose, "v", false, "trace the handshake on standard error")
	fs.BoolVar(&o.noTicket, "no_ticket", false, "do not use session tickets (RFC 5077): sessions are resumed by session ID only")
	fs.StringVar(&o.alpn, "alpn", "", "offer (client) or accept (server) the application protocols of comma-separated `LIST` (ALPN, RFC 7301), in order of preference")
	fs.StringVar(&o.srtp, "use_srtp", "", "negotiate DTLS-SRTP (RFC 5764) with the colon-separated `PROFILES` (SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32, SRTP_AEAD_AES_128_GCM, SRTP_AEAD_AES_256_GCM)")
	fs.StringVar(&o.keymatLabel, "keymatexport", "", "after each handshake, print keying material exported with `LABEL` (RFC 5705), such as EXTRACTOR-dtls_srtp")
	fs.IntVar(&o.keymatLen, "keymatexportlen", 0, "length in bytes of the material -keymatexport prints (`N`, 60 for SRTP_AES128_CM_SHA1_80)")
	fs.StringVar(&o.keylogFile, "keylogfile", "", "append each handshake's master secret to `FILE` in the NSS key log format, for Wireshark (debugging only)")
	fs.IntVar(&o.cid, "cid", -1, "use connection IDs (RFC 9146; RFC 9147 §9 in DTLS 1.3), asking the peer to send IDs of `N` bytes (0: none, while sending the peer's); -1: off")
	switch r {
	case roleClient:
		fs.StringVar(&o.caFile, "CAfile", "", "`FILE` of trusted CA certificates (PEM); default: the system roots")
		fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate")
		fs.StringVar(&o.serverName, "servername", "", "`NAME` to verify the server's certificate against and send in server_name; default: the host in HOST:PORT")
		fs.StringVar(&o.pskIdentity, "psk_identity", defaultPSKIdentity, "PSK identity `ID` to send")
		fs.BoolVar(&o.reconnect, "reconnect", false, "complete a handshake, close, and connect again resuming the session")
		fs.BoolVar(&o.renegAllow, "renegotiate", false, "accept the server's requests to renegotiate (secure renegotiation, RFC 5746); default: refuse them")
	case roleServer:
		fs.StringVar(&o.pskIdentity, "psk_identity", "", "accept only the PSK identity `ID`; default: any")
		fs.StringVar(&o.pskHint, "psk_hint", "", "PSK identity `HINT` to send")
		fs.DurationVar(&o.renegEvery, "renegotiate", 0, "ask each client to renegotiate (RFC 5746) this `LONG` after its handshake, and again as often, and accept the clients' own renegotiations; 0: never, and refuse them")
		fs.BoolVar(&o.noCookie, "no_cookie", false, "skip the cookie exchange, a HelloVerifyRequest in DTLS 1.2 (RFC 6347 §4.2.1), a HelloRetryRequest in DTLS 1.3 (RFC 9147 §5.1); allows amplification")
		fs.StringVar(&o.caFile, "CAfile", "", "`FILE` of CA certificates (PEM) that client certificates are verified against; default: the system roots")
		fs.IntVar(&o.verify, "verify", 0, "ask for a client certificate and verify it if one is sent (the `DEPTH` is accepted for OpenSSL compatibility; any depth is verified)")
		fs.IntVar(&o.verifyRequired, "Verify", 0, "require a verified client certificate (`DEPTH` as for -verify)")
	}
}

// The range of -mtu: room for the IPv4 and UDP headers and the smallest
// datagram (an IPv6 peer needs 20 bytes more, which the transport checks),
// up to the largest IP packet.
const (
	minMTU = 28 + dtls.MinDatagramSize
	maxMTU = 65535
)

// config builds the dtls.Config the flags describe. log, if not nil,
// receives the events of the handshakes when -v is set.
func (o *options) config(r role, log *slog.Logger) (*dtls.Config, error) {
	c := &dtls.Config{
		ServerName:         o.serverName,
		InsecureSkipVerify: o.insecure,
		InsecureNoCookie:   o.noCookie,
		HandshakeTimeout:   o.timeout,

		SessionTicketsDisabled: o.noTicket,
	}
	if o.verbose {
		c.Logger = log
	}
	if o.timeout <= 0 {
		return nil, errors.New("-timeout must be positive")
	}
	if o.renegEvery < 0 {
		return nil, fmt.Errorf("-renegotiate %v is negative: give how often to renegotiate, or 0 for never", o.renegEvery)
	}
	if o.keyUpdate < 0 {
		return nil, fmt.Errorf("-keyupdate %v is negative: give how often to update the keys, in seconds, or 0 for never", time.Duration(o.keyUpdate))
	}
	if o.renegAllow || o.renegEvery > 0 {
		c.Renegotiation = dtls.RenegotiateFreely
	}
	if o.cid > 255 || o.cid < -1 {
		return nil, fmt.Errorf("-cid %d is outside [0, 255] (or -1 for off)", o.cid)
	}
	if o.cid >= 0 {
		c.ConnectionID = &dtls.ConnectionIDConfig{Length: o.cid}
	}
	if o.mtu != 0 && (o.mtu < minMTU || o.mtu > maxMTU) {
		return nil, fmt.Errorf("-mtu %d is outside [%d, %d]: it counts the IP and UDP headers (28 bytes, 48 for IPv6) and must leave at least %d bytes for a datagram", o.mtu, minMTU, maxMTU, dtls.MinDatagramSize)
	}
	if err := o.versions(c); err != nil {
		return nil, err
	}
	if err := o.suites(c); err != nil {
		return nil, err
	}
	switch {
	case (o.renegAllow || o.renegEvery > 0) && c.MaxVersion == dtls.VersionDTLS13 && c.MinVersion == dtls.VersionDTLS13:
		return nil, errors.New("-renegotiate is a DTLS 1.2 feature (DTLS 1.3 has none; -keyupdate gives new keys): it cannot go with DTLS 1.3 only")
	case o.keyUpdate > 0 && c.MaxVersion != dtls.VersionDTLS13:
		return nil, errors.New("-keyupdate is a DTLS 1.3 feature, and DTLS 1.3 is not offered (-dtls1_2, -dtls1, or a -cipher list without DTLS 1.3 suites)")
	}
	if err := o.certificates(c); err != nil {
		return nil, err
	}
	if err := o.psk(c, r); err != nil {
		return nil, err
	}
	if err := o.sessionOptions(c); err != nil {
		return nil, err
	}
	if r == roleServer && c.Certificates == nil && c.PSK == nil {
		return nil, errors.New("a server needs -cert (and -key) or -psk")
	}
	return c, nil
}

// certificates loads -cert, -key and -CAfile into c, and sets the
// server's client-certificate policy from -verify and -Verify.
func (o *options) certificates(c *dtls.Config) error {
	cert, err := cliconfig.Certificate(o.certFile, o.keyFile)
	if err != nil {
		return err
	}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	pool, err := cliconfig.CertPool(o.caFile)
	if err != nil {
		return err
	}
	c.RootCAs, c.ClientCAs = pool, pool // a client verifies servers, a server clients
	switch {
	case o.verifyRequired > 0:
		c.ClientAuth = tls.RequireAndVerifyClientCert
	case o.verify > 0:
		c.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return nil
}

func (o *options) psk(c *dtls.Config, r role) error {
	key, err := cliconfig.PSK(o.pskHex)
	if key == nil {
		return err
	}
	want := o.pskIdentity
	c.PSK = func(hintOrIdentity []byte) ([]byte, error) {
		if r == roleServer && want != "" && string(hintOrIdentity) != want {
			return nil, fmt.Errorf("dtls: unknown PSK identity %q", hintOrIdentity)
		}
		return key, nil
	}
	if r == roleClient {
		c.PSKIdentity = []byte(o.pskIdentity)
	} else {
		c.PSKIdentityHint = []byte(o.pskHint)
	}
	return nil
}

// checkAddress reports a usage error in address, the client's HOST:PORT
// or the server's [HOST]:PORT, before anything is dialled or bound: a name
// that does not resolve is a network failure, but an address without a
// port, or with a port that is neither a number nor a UDP service name, is
// a mistake on the command line. A client needs a port other than 0; an
// empty HOST is the local system for both, as for net.Dial.
func checkAddress(address string, r role) error {
	want := "[HOST]:PORT"
	if r == roleClient {
		want = "HOST:PORT"
	}
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err) // the message quotes the address already
		}
		return fmt.Errorf("bad address %q: %v; want %s", address, err, want)
	}
	if port == "" {
		return fmt.Errorf("bad address %q: no port; want %s", address, want)
	}
	p, err := net.LookupPort("udp", port) // numbers and /etc/services: no network
	switch {
	case err != nil:
		return fmt.Errorf("bad address %q: port %q is neither a number nor a UDP service name; want %s", address, port, want)
	case r == roleClient && p == 0:
		return fmt.Errorf("bad address %q: no server can be reached at port 0", address)
	}
	return nil
}
