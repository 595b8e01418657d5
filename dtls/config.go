package dtls

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/internal/eventlog"
)

// Defaults for the zero Config.
const (
	DefaultDatagramSize      = 1200             // UDP payload bytes (RFC 8899 BASE_PLPMTU)
	DefaultRetransmitTimeout = time.Second      // RFC 6347 §4.2.4.1
	MaxRetransmitTimeout     = 60 * time.Second // RFC 6347 §4.2.4.1
	DefaultHandshakeTimeout  = 60 * time.Second
	DefaultReplayWindow      = 64 // RFC 6347 §4.1.2.6
	MinReplayWindow          = 32 // RFC 6347 §4.1.2.6: "a minimum window size of 32 MUST be supported"
	MinDatagramSize          = 64 // the smallest Config.DatagramSize accepted
)

// A Config configures a client or a server. The zero value is a usable client
// configuration: DTLS 1.2, every supported ECDHE suite, certificates verified
// against the system roots. A Config may be shared by many connections, and
// must not be changed after it has been passed to Client or Server.
//
// A Config keeps what it learns of certificates: its own chains encoded, the
// peers' parsed, and the peers' chains it has verified, by their exact bytes,
// the name checked and the use (server or client). Such a chain is verified
// again only once a certificate in it is outside its validity period; the
// peer's signature in the handshake, which proves that it holds the key, is
// checked every time. The cache is small and per Config; Clone starts empty.
type Config struct {
	// Rand is the source of randomness; nil means crypto/rand.Reader.
	Rand io.Reader
	// Time returns the current time for certificate verification and cookie
	// secret rotation; nil means time.Now.
	Time func() time.Time

	// Certificates are the certificate chains to present (a server's, or a
	// client's when the server asks). The first whose key fits the suite is used.
	Certificates []tls.Certificate
	// RootCAs verifies the server's certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// ServerName is checked against the server's certificate and sent in the
	// server_name extension when it is a host name (RFC 6066 §3). A client
	// that offers certificate suites needs it, or InsecureSkipVerify: the
	// handshake fails at once without either, unless the client has a PSK,
	// in which case it offers only its PSK suites.
	ServerName string
	// InsecureSkipVerify turns off verification of the server's certificate.
	InsecureSkipVerify bool
	// ClientAuth is the server's policy for client certificates (RFC 5246
	// §7.4.4); the zero value, tls.NoClientCert, asks for none. PSK suites
	// never ask.
	ClientAuth tls.ClientAuthType
	// ClientCAs verifies client certificates when ClientAuth asks for that;
	// nil means the system roots.
	ClientCAs *x509.CertPool
	// VerifyPeerCertificate, if set, is called after normal verification.
	VerifyPeerCertificate func(rawCerts [][]byte, verifiedChains [][]*x509.Certificate) error
	// VerifyConnection, if set, is called at the end of every handshake,
	// full or resumed, with its ConnectionState; an error fails the
	// handshake with a bad_certificate alert, as in crypto/tls.
	VerifyConnection func(ConnectionState) error
	// GetCertificate, if set, returns the certificate a server presents,
	// chosen from the ClientHello (its ServerName, RFC 6066 §3, most
	// often); nil means Certificates. It may be called from several
	// goroutines at once.
	GetCertificate func(*ClientHelloInfo) (*tls.Certificate, error)
	// GetClientCertificate, if set, returns the certificate a client
	// presents when the server asks; one with no Certificate sends an
	// empty chain. It replaces Certificates for clients.
	GetClientCertificate func(*CertificateRequestInfo) (*tls.Certificate, error)
	// GetConfigForClient, if set, returns the Config for a server's
	// handshake with the client of a ClientHello, or nil to keep this
	// one. The cookie exchange has used this Config; the record layer
	// keeps its ReplayWindow, ReceiveQueueSize and DatagramSize. It is
	// not called for a renegotiation, which keeps the association's Config.
	GetConfigForClient func(*ClientHelloInfo) (*Config, error)

	// PSK returns the pre-shared key (RFC 4279). A client calls it with the
	// server's identity hint (possibly empty); a server with the client's
	// identity. PSK suites are offered and accepted only when PSK is set.
	PSK func(hintOrIdentity []byte) ([]byte, error)
	// PSKIdentity is the identity a client sends with a PSK suite.
	PSKIdentity []byte
	// PSKIdentityHint is the hint a server sends with a PSK suite.
	PSKIdentityHint []byte

	// CipherSuites lists the enabled suites in order of preference; nil means
	// every supported suite that the configuration can use (see CipherSuites()).
	// DTLS 1.3 has suites of its own (TLS_AES_128_GCM_SHA256 and the
	// others, RFC 8446 Appendix B.4): a list that names some of them
	// enables those for DTLS 1.3; one that names none leaves DTLS 1.3 its
	// default suites, TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
	// TLS_CHACHA20_POLY1305_SHA256, as crypto/tls does.
	CipherSuites []uint16
	// CurvePreferences lists the ECDHE groups; nil means X25519, P-256, P-384.
	// In DTLS 1.3 a client may list tls.X25519MLKEM768, the hybrid of
	// ML-KEM-768 and X25519 (its ClientHello then takes two datagrams of
	// 1200 bytes); a server with nil CurvePreferences prefers it, then the
	// curves above.
	CurvePreferences []tls.CurveID
	// MinVersion and MaxVersion bound the protocol version; zero means
	// VersionDTLS12 for both (RFC 8996 deprecates DTLS 1.0), except that a
	// zero MaxVersion follows a newer MinVersion. MaxVersion =
	// VersionDTLS13 offers DTLS 1.3 (RFC 9147) and 1.2, 1.3 preferred;
	// MinVersion = VersionDTLS13 allows 1.3 only.
	MinVersion, MaxVersion uint16

	// InsecureNoCookie turns off the server's stateless cookie exchange
	// (RFC 6347 §4.2.1). Without it a server can be used to amplify traffic.
	InsecureNoCookie bool
	// CookieSecretLifetime is how long a cookie secret is used before it is
	// replaced; cookies made with the previous secret are still accepted.
	// Zero means 5 minutes.
	CookieSecretLifetime time.Duration

	// DatagramSize is the UDP payload size used when the datagram connection
	// of Client or Server does not implement Path; zero means
	// DefaultDatagramSize. A Path may honour it too: the transport package
	// fixes the path to it.
	DatagramSize int
	// ReceiveQueueSize bounds the decrypted application data, in bytes, that
	// waits for Read; when a record does not fit, the oldest are dropped and
	// counted in Stats.DroppedData. Zero means DefaultReceiveQueueSize.
	ReceiveQueueSize int
	// RetransmitTimeout is the initial retransmission timer; zero means 1 s.
	RetransmitTimeout time.Duration
	// HandshakeTimeout bounds a whole handshake, together with the context's
	// deadline; zero means DefaultHandshakeTimeout, negative means none.
	HandshakeTimeout time.Duration

	// ReplayWindow is the anti-replay window size in records: zero means
	// DefaultReplayWindow, a negative value turns replay detection off, and
	// positive values must be at least MinReplayWindow.
	ReplayWindow int
	// RequireExtendedMasterSecret refuses a peer that does not negotiate the
	// extended master secret (RFC 7627), whose absence lets a man in the
	// middle synchronize two sessions' keys (the triple handshake attack).
	// pathdtls always offers and accepts it; without this field it also
	// talks to legacy peers that lack it, as RFC 7627 §5.2 allows, and
	// ConnectionState.ExtendedMasterSecret says whether it was used.
	RequireExtendedMasterSecret bool

	// ClientSessionCache, if set, keeps a client's sessions so that a
	// later connection to the same server resumes one: an abbreviated
	// handshake without key exchange, certificates or signatures (RFC 5246
	// §7.4.1.2, RFC 4347 §4.2.4). Sessions are kept by ServerName, or by
	// the server's address without one. Only sessions with the extended
	// master secret are resumed (RFC 7627 §5.3). In DTLS 1.3 the server
	// sends its tickets after the handshake (RFC 8446 §4.6.1), and a
	// session is cached when one arrives: an association closed as soon as
	// it is made may not have one yet.
	ClientSessionCache ClientSessionCache
	// SessionCacheSize is how many sessions a server remembers by session
	// ID for clients to resume: zero means DefaultSessionCacheSize,
	// negative turns resumption by session ID off. The oldest are
	// forgotten first.
	SessionCacheSize int
	// SessionLifetime is how long after its full handshake a session may
	// be resumed, by either side; zero means DefaultSessionLifetime.
	SessionLifetime time.Duration
	// SessionTicketsDisabled turns off session tickets (RFC 5077): a
	// client with a ClientSessionCache does not ask for them, a server
	// neither issues nor accepts them. With tickets on, a server gives a
	// ticket instead of a session ID to a client that asks for one, and
	// keeps nothing of the session; see SetSessionTicketKeys. A client
	// offers a session's ticket when it has one, else its ID.
	SessionTicketsDisabled bool

	// Renegotiation says which renegotiations the peer may start (RFC
	// 5746, secure only): a server's HelloRequest, for a client; a
	// client's ClientHello on an established association, for a server.
	// The zero value refuses them all. Conn.Rehandshake starts one in
	// either role.
	Renegotiation RenegotiationSupport

	// SRTPProtectionProfiles, if set, negotiates DTLS-SRTP (RFC 5764): a
	// client offers these profiles, a server takes the first of them that
	// the client offers. ConnectionState says which, and
	// ExportKeyingMaterial with SRTPKeyingMaterialLabel gives the keys.
	SRTPProtectionProfiles []SRTPProtectionProfile
	// SRTPMKI is the SRTP Master Key Identifier a client asks for (RFC
	// 5764 §4.1.1); empty for none. A server uses the client's.
	SRTPMKI []byte
	// NextProtos is the list of application protocols for ALPN (RFC
	// 7301), in order of preference: a client offers them, a server picks
	// the first of its own that the client offers, and refuses a client
	// that offers only others.
	NextProtos []string
	// KeyLogWriter, if set, receives each handshake's master secret in the
	// NSS key log format, which Wireshark uses to decrypt a capture. Use
	// it only to debug: whoever reads it can decrypt the association.
	KeyLogWriter io.Writer

	// ConnectionID, if set, turns on connection IDs (RFC 9146): see
	// ConnectionIDConfig. Both sides must set it for them to be used.
	ConnectionID *ConnectionIDConfig

	// AlertOnBadRecord makes a record that fails authentication end the
	// connection with a fatal bad_record_mac alert, instead of being silently
	// discarded and counted (RFC 6347 §4.1.2.7).
	AlertOnBadRecord bool

	// Logger, if set, receives the events of the handshake and of the
	// association as structured records: a short constant message naming
	// the event ("flight sent", "retransmit", "handshake complete",
	// "session resumed", "peer moved", "path MTU changed", ...) and its
	// details as attributes. The steps of a handshake (messages received,
	// flights sent with their datagram and fragment sizes, retransmissions)
	// are at slog.LevelDebug; a handshake's completion, a resumption, a
	// renegotiation and a failure at slog.LevelInfo. A record never holds a
	// secret. The transport logs its events (path MTU, moves, idle
	// associations) to the same Logger. With neither Logger nor Trace, an
	// event costs nothing.
	Logger *slog.Logger

	// Trace, if set, receives each event that Logger would, whatever its
	// level, as one line of text. Logger supersedes it: its records carry
	// each event's details as attributes rather than in text.
	Trace func(msg string)

	cookieOnce sync.Once
	cookies    *cookieSecrets
	certOnce   sync.Once
	certCache  *certCache

	sessionOnce  sync.Once
	sessionCache *serverSessionCache
	ticketOnce   sync.Once
	tickets      *ticketKeys
}

func (c *Config) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

func (c *Config) minVersion() uint16 {
	if c.MinVersion == 0 {
		return VersionDTLS12
	}
	return c.MinVersion
}

// maxVersion is MaxVersion, or by default DTLS 1.2, or MinVersion when
// that is newer: MinVersion = VersionDTLS13 alone asks for DTLS 1.3 only.
func (c *Config) maxVersion() uint16 {
	if c.MaxVersion == 0 {
		return min(VersionDTLS12, c.minVersion()) // newer is smaller
	}
	return c.MaxVersion
}

// supportsVersion reports whether v lies within [MinVersion, MaxVersion].
// DTLS versions count down, so newer is numerically smaller.
func (c *Config) supportsVersion(v uint16) bool {
	return (v == VersionDTLS10 || v == VersionDTLS12 || v == VersionDTLS13) && v <= c.minVersion() && v >= c.maxVersion()
}

func (c *Config) datagramSize() int {
	if c.DatagramSize == 0 {
		return DefaultDatagramSize
	}
	return c.DatagramSize
}

func (c *Config) receiveQueueSize() int {
	if c.ReceiveQueueSize <= 0 {
		return DefaultReceiveQueueSize
	}
	return c.ReceiveQueueSize
}

func (c *Config) retransmitTimeout() time.Duration {
	if c.RetransmitTimeout == 0 {
		return DefaultRetransmitTimeout
	}
	return min(c.RetransmitTimeout, MaxRetransmitTimeout)
}

func (c *Config) handshakeTimeout() time.Duration {
	if c.HandshakeTimeout == 0 {
		return DefaultHandshakeTimeout
	}
	return c.HandshakeTimeout
}

func (c *Config) replayWindow() int {
	switch {
	case c.ReplayWindow == 0:
		return DefaultReplayWindow
	case c.ReplayWindow < 0:
		return 0
	}
	return c.ReplayWindow
}

func (c *Config) cookieLifetime() time.Duration {
	if c.CookieSecretLifetime <= 0 {
		return 5 * time.Minute
	}
	return c.CookieSecretLifetime
}

func (c *Config) curves() []tls.CurveID {
	if c.CurvePreferences == nil {
		return []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}
	}
	return c.CurvePreferences
}

// suites returns the configured suite IDs in preference order.
func (c *Config) suites() []uint16 {
	if c.CipherSuites != nil {
		return c.CipherSuites
	}
	var ids []uint16
	for _, s := range preferredSuites {
		if s.psk() && c.PSK == nil {
			continue
		}
		ids = append(ids, s.id)
	}
	return ids
}

// events returns where c sends the events of the engine: its Logger and
// its Trace.
func (c *Config) events() eventlog.Log { return eventlog.Log{Logger: c.Logger, Trace: c.Trace} }

// logs reports whether an event at level goes anywhere; callers check it
// before they build the event's attributes.
func (c *Config) logs(level slog.Level) bool { return c.events().Enabled(level) }

// event logs the event msg at level: see eventlog.Log.Event.
func (c *Config) event(level slog.Level, msg, format string, attrs ...slog.Attr) {
	c.events().Event(level, msg, format, attrs...)
}

// check reports a configuration that cannot work.
func (c *Config) check() error {
	for _, v := range []uint16{c.minVersion(), c.maxVersion()} {
		if v != VersionDTLS10 && v != VersionDTLS12 && v != VersionDTLS13 {
			return fmt.Errorf("dtls: unsupported version %#04x in Config", v)
		}
	}
	if c.minVersion() < c.maxVersion() {
		return errors.New("dtls: Config.MinVersion is newer than MaxVersion")
	}
	if w := c.ReplayWindow; w > 0 && w < MinReplayWindow {
		return fmt.Errorf("dtls: Config.ReplayWindow %d is below the minimum %d", w, MinReplayWindow)
	}
	if c.DatagramSize != 0 && c.DatagramSize < MinDatagramSize {
		return fmt.Errorf("dtls: Config.DatagramSize %d is below %d", c.DatagramSize, MinDatagramSize)
	}
	if c.ConnectionID != nil {
		if err := c.ConnectionID.check(); err != nil {
			return err
		}
	}
	for i, p := range c.NextProtos {
		if len(p) < 1 || len(p) > 255 {
			return fmt.Errorf("dtls: Config.NextProtos[%d] is %d bytes long, want 1 to 255 (RFC 7301 §3.1)", i, len(p))
		}
	}
	for _, p := range c.SRTPProtectionProfiles {
		if p.KeyLen() == 0 {
			return fmt.Errorf("dtls: unsupported %v in Config.SRTPProtectionProfiles", p)
		}
	}
	if len(c.SRTPMKI) > 255 {
		return fmt.Errorf("dtls: Config.SRTPMKI is %d bytes long, want at most 255 (RFC 5764 §4.1.1)", len(c.SRTPMKI))
	}
	for _, id := range c.CipherSuites {
		if suiteByID(id) == nil && suite13ByID(id) == nil {
			return fmt.Errorf("dtls: unsupported cipher suite %s in Config", CipherSuiteName(id))
		}
	}
	return nil
}

// CheckServer reports why a server with c could complete no handshake, or
// nil: besides what any Config needs, one of its cipher suites must have
// what it takes, a certificate with its private key of the kind the suite
// signs with, or a PSK. transport.Listen calls it; the handshake of a
// server made by Server or ServerOn fails with its error.
func (c *Config) CheckServer() error {
	if c == nil {
		return errors.New("dtls: a server needs a Config")
	}
	if err := c.check(); err != nil {
		return err
	}
	if c.supportsVersion(VersionDTLS13) && c.canServe13() {
		return nil
	}
	for _, id := range c.suites() {
		switch s := suiteByID(id); {
		case s == nil: // a DTLS 1.3 suite, with DTLS 1.3 off
		case s.psk() && c.PSK != nil:
			return nil
		case !s.psk():
			if cert, _ := certFor(c.Certificates, s.kx); cert != nil || c.GetCertificate != nil || c.GetConfigForClient != nil {
				return nil
			}
		}
	}
	if len(c.Certificates) == 0 && c.PSK == nil && c.GetConfigForClient == nil {
		return errors.New("dtls: a server's Config needs Certificates or a PSK")
	}
	return errors.New("dtls: no cipher suite of the server's Config can use its Certificates or PSK (a certificate needs its private key, and a suite for its kind of key)")
}

// Clone returns a copy of c with the same exported fields and the session
// ticket keys set with SetSessionTicketKeys. The copy has its own cookie
// secrets, its own cache of the sessions a server completed and its own
// ticket keys if it draws them; a ClientSessionCache is shared.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	nc := c.clone()
	tk := c.ticketKeyring()
	tk.mu.Lock()
	set := tk.set
	tk.mu.Unlock()
	nc.ticketKeyring().set = set
	return nc
}

// clone copies the exported fields.
func (c *Config) clone() *Config {
	return &Config{
		Rand:                  c.Rand,
		Time:                  c.Time,
		Certificates:          c.Certificates,
		RootCAs:               c.RootCAs,
		ServerName:            c.ServerName,
		InsecureSkipVerify:    c.InsecureSkipVerify,
		ClientAuth:            c.ClientAuth,
		ClientCAs:             c.ClientCAs,
		VerifyPeerCertificate: c.VerifyPeerCertificate,
		VerifyConnection:      c.VerifyConnection,
		GetCertificate:        c.GetCertificate,
		GetClientCertificate:  c.GetClientCertificate,
		GetConfigForClient:    c.GetConfigForClient,
		PSK:                   c.PSK,
		PSKIdentity:           c.PSKIdentity,
		PSKIdentityHint:       c.PSKIdentityHint,
		CipherSuites:          c.CipherSuites,
		CurvePreferences:      c.CurvePreferences,
		MinVersion:            c.MinVersion,
		MaxVersion:            c.MaxVersion,
		InsecureNoCookie:      c.InsecureNoCookie,
		CookieSecretLifetime:  c.CookieSecretLifetime,
		DatagramSize:          c.DatagramSize,
		ReceiveQueueSize:      c.ReceiveQueueSize,
		RetransmitTimeout:     c.RetransmitTimeout,
		HandshakeTimeout:      c.HandshakeTimeout,
		ReplayWindow:          c.ReplayWindow,
		AlertOnBadRecord:      c.AlertOnBadRecord,
		Renegotiation:         c.Renegotiation,
		ConnectionID:          c.ConnectionID,

		SRTPProtectionProfiles: c.SRTPProtectionProfiles,
		SRTPMKI:                c.SRTPMKI,
		NextProtos:             c.NextProtos,
		KeyLogWriter:           c.KeyLogWriter,

		ClientSessionCache:          c.ClientSessionCache,
		SessionCacheSize:            c.SessionCacheSize,
		SessionLifetime:             c.SessionLifetime,
		SessionTicketsDisabled:      c.SessionTicketsDisabled,
		RequireExtendedMasterSecret: c.RequireExtendedMasterSecret,
		Logger:                      c.Logger,
		Trace:                       c.Trace,
	}
}
