package pion

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	dtls4 "github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v4/pkg/crypto/elliptic"
	"github.com/pion/dtls/v4/pkg/protocol"
	extension13 "github.com/pion/dtls/v4/pkg/protocol/extension/dtls13"
	"github.com/pion/dtls/v4/pkg/protocol/handshake"
)

// capture makes TestCaptureDTLS13 record the DTLS 1.3 sessions again into
// testdata/dtls13-session-<name>.json.
var capture = flag.Bool("capture", false, "record the DTLS 1.3 sessions between two pion/dtls v4 peers into testdata")

// pionV4 names the peer in the captures.
const pionV4 = "pion/dtls v4.0.2"

// A capture13 is one recorded DTLS 1.3 (RFC 9147) session, as stored in
// testdata/dtls13-session-<name>.json.
type capture13 struct {
	Description string `json:"description"`
	Peer        string `json:"peer"`
	Suite       string `json:"suite"`
	Group       string `json:"group"` // "" with psk_ke
	// CIDClient is the connection ID the client chose: the server puts it
	// in the records it sends. CIDServer is the server's, in the client's
	// records (RFC 9147, Section 9). Hex; empty without connection IDs.
	CIDClient string          `json:"cid_client"`
	CIDServer string          `json:"cid_server"`
	Datagrams []capturedBytes `json:"datagrams"`
	// Keylog holds NSS key log lines, "LABEL <client_random> <secret>".
	Keylog  []string        `json:"keylog"`
	AppData []capturedBytes `json:"app_data"`
}

// capturedBytes is a datagram or an application message, in hex.
type capturedBytes struct {
	From string `json:"from"` // "client" or "server"
	Hex  string `json:"hex"`
}

// A session13 describes a session to capture.
type session13 struct {
	name        string
	description string
	suite       ciphersuite.ID
	// clientCurves and serverCurves are the groups each side takes, in
	// order; the client sends a key share for its first only.
	clientCurves, serverCurves []elliptic.Curve
	group                      string // the group the handshake ends with
	psk                        bool   // an external PSK rather than a certificate
	pskOnly                    bool   // the client offers psk_ke alone
	clientCID, serverCID       []byte
	keyUpdate                  bool // the client updates the keys after the first exchange
	noCookie                   bool // the server skips its cookie exchange (RFC 9147, Section 5.1)
	mtu                        int  // the server's MTU; 0 is the peer's default, 1200
}

// sessions13 are the sessions TestCaptureDTLS13 records.
var sessions13 = []session13{
	{
		name: "ecdsa-aes128gcm-x25519",
		description: "ECDSA P-256 certificate, TLS_AES_128_GCM_SHA256, X25519; " +
			"one application message each way, then the client closes",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
	},
	{
		name: "ecdsa-aes128gcm-x25519-nocookie",
		description: "as ecdsa-aes128gcm-x25519, but the server skips its cookie exchange: " +
			"no HelloRetryRequest, the shortest handshake",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
		noCookie:     true,
	},
	{
		name: "ecdsa-aes128gcm-x25519-mtu300",
		description: "as ecdsa-aes128gcm-x25519, but the server's MTU is 300 bytes: its flight is " +
			"spread over datagrams, and the Certificate is cut into fragments",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
		mtu:          300,
	},
	{
		// The peer has no CCM suite in DTLS 1.3, and its client offers
		// psk_dhe_ke before psk_ke, which its server then takes.
		name: "psk-aes128gcm-x25519",
		description: "external PSK (identity \"pathdtls-psk13\", key \"pathdtls-pion dtls13 key, 32 by\"), " +
			"psk_dhe_ke, TLS_AES_128_GCM_SHA256, X25519; one application message each way",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
		psk:          true,
	},
	{
		// The client's hello is hooked to offer psk_ke only; it still
		// sends its key share, which the server ignores.
		name: "psk-ke-aes128gcm",
		description: "external PSK (identity \"pathdtls-psk13\", key \"pathdtls-pion dtls13 key, 32 by\"), " +
			"psk_ke (no (EC)DHE: the client offers only psk_ke, the server's hellos carry no key_share), " +
			"TLS_AES_128_GCM_SHA256; one application message each way",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		psk:          true,
		pskOnly:      true,
	},
	{
		name: "ecdsa-chacha20-x25519",
		description: "ECDSA P-256 certificate, TLS_CHACHA20_POLY1305_SHA256, X25519; " +
			"one application message each way",
		suite:        ciphersuite.TLS_CHACHA20_POLY1305_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
	},
	{
		name: "ecdsa-aes256gcm-p384",
		description: "ECDSA P-256 certificate, TLS_AES_256_GCM_SHA384, P-384; " +
			"one application message each way",
		suite:        ciphersuite.TLS_AES_256_GCM_SHA384,
		clientCurves: []elliptic.Curve{elliptic.P384},
		serverCurves: []elliptic.Curve{elliptic.P384},
		group:        "P-384",
	},
	{
		name: "ecdsa-aes128gcm-hrr-p256",
		description: "ECDSA P-256 certificate, TLS_AES_128_GCM_SHA256; the client offers X25519 and P-256 " +
			"with a key share for X25519 only, the server takes only P-256 and asks for it in its " +
			"HelloRetryRequest; one application message each way",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519, elliptic.P256},
		serverCurves: []elliptic.Curve{elliptic.P256},
		group:        "P-256",
	},
	{
		name: "ecdsa-aes128gcm-x25519-cid",
		description: "ECDSA P-256 certificate, TLS_AES_128_GCM_SHA256, X25519, connection IDs both ways " +
			"(the client's, 4 bytes, in the server's records; the server's, 8 bytes, in the client's); " +
			"one application message each way",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
		clientCID:    []byte{0xc1, 0xc1, 0xc1, 0xc1},
		serverCID:    []byte{0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e},
	},
	{
		name: "ecdsa-aes128gcm-x25519-keyupdate",
		description: "ECDSA P-256 certificate, TLS_AES_128_GCM_SHA256, X25519; one application message " +
			"each way, then the client sends a KeyUpdate with update_requested, the server answers " +
			"with its own, and one more message each way under the next keys. The key log has the " +
			"_0 secrets only: the _1 secrets follow from them (RFC 8446, Section 7.2)",
		suite:        ciphersuite.TLS_AES_128_GCM_SHA256,
		clientCurves: []elliptic.Curve{elliptic.X25519},
		serverCurves: []elliptic.Curve{elliptic.X25519},
		group:        "X25519",
		keyUpdate:    true,
	},
}

// messages are the application messages of a session: the client's and
// the server's first, then, after a KeyUpdate, their second.
var messages = [...][]byte{
	[]byte("hello from client"),
	[]byte("hello from server"),
	[]byte("hello again from client"),
	[]byte("hello again from server"),
}

// TestCaptureDTLS13 records each session of sessions13 between a pion/dtls
// v4 client and server through a recording relay, with the key log, and
// writes it to testdata. It runs only with -capture.
func TestCaptureDTLS13(t *testing.T) {
	if !*capture {
		t.Skip("records the DTLS 1.3 captures again; run with -capture")
	}
	for _, s := range sessions13 {
		t.Run(s.name, func(t *testing.T) {
			// Crypto randomness is seeded by the session's name, which
			// fixes the certificate; but the peers draw from it in the
			// order their goroutines run, and put the time in the first
			// four bytes of their Randoms, which enter every secret: two
			// runs never give the same bytes.
			seed := sha256.Sum256([]byte(s.name))
			cryptotest.SetGlobalRandom(t, binary.BigEndian.Uint64(seed[:]))
			c := runSession13(t, s)
			b, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "dtls13-session-"+s.name+".json")
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d datagrams, %d key log lines", path, len(c.Datagrams), len(c.Keylog))
		})
	}
}

// A lineLog collects a peer's key log lines.
type lineLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lineLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.buf.String()) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// An appLog keeps the application messages in the order they are sent.
type appLog struct {
	mu   sync.Mutex
	msgs []capturedBytes
}

func (a *appLog) write(c net.Conn, from string, msg []byte) error {
	a.mu.Lock()
	a.msgs = append(a.msgs, capturedBytes{From: from, Hex: hex.EncodeToString(msg)})
	a.mu.Unlock()
	_, err := c.Write(msg)
	return err
}

// fixedRandom returns a generator for the last 28 bytes of a hello's
// Random: the start of SHA-256 of the session and the side, so that each
// capture's client_random is its own. The peer puts the time in the first
// four bytes, as DTLS 1.2 did, and uses the generator only in its
// ClientHello.
func fixedRandom(session, side string) func() [handshake.RandomBytesLength]byte {
	return func() (r [handshake.RandomBytesLength]byte) {
		sum := sha256.Sum256([]byte(session + "/" + side))
		copy(r[:], sum[:])
		return r
	}
}

// sessionOptions returns the options of one side of s.
func sessionOptions(t *testing.T, s session13, side string, keylog io.Writer) []dtls4.Option {
	opts := []dtls4.Option{
		dtls4.WithMinVersion(protocol.Version1_3),
		dtls4.WithMaxVersion(protocol.Version1_3),
		dtls4.WithCipherSuites(s.suite),
		dtls4.WithKeyLogWriter(keylog),
		dtls4.WithHelloRandomBytesGenerator(fixedRandom(s.name, side)),
		// Long enough that a loaded machine does not retransmit a flight.
		dtls4.WithFlightInterval(3 * time.Second),
	}
	curves := s.clientCurves
	cid := s.clientCID
	if side == "server" {
		curves, cid = s.serverCurves, s.serverCID
	}
	if len(curves) > 0 {
		opts = append(opts, dtls4.WithEllipticCurves(curves...))
	}
	if cid != nil {
		opts = append(opts, dtls4.WithConnectionID(func() []byte { return cid }, dtls4.CIDPathMigrationReject))
	}
	return opts
}

// runSession13 runs s between a pion client and server through a relay
// and returns what the relay and the peers saw.
func runSession13(t *testing.T, s session13) *capture13 {
	cert, pool := selfSigned(t)
	var clientKeys, serverKeys lineLog
	clientOpts := sessionOptions(t, s, "client", &clientKeys)
	serverOpts := sessionOptions(t, s, "server", &serverKeys)
	if s.pskOnly {
		clientOpts = append(clientOpts, dtls4.WithClientHelloMessageHook(offerPSKKEOnly))
	}
	if s.psk {
		clientOpts = append(clientOpts, dtls4.WithPSK(pskClient, nil))
		serverOpts = append(serverOpts, dtls4.WithPSK(nil, pskServer))
	} else {
		clientOpts = append(clientOpts, dtls4.WithRootCAs(pool), dtls4.WithServerName(serverName))
		serverOpts = append(serverOpts, dtls4.WithCertificates(cert))
	}

	var sopts []dtls4.ServerOption
	for _, o := range serverOpts {
		sopts = append(sopts, o)
	}
	if s.noCookie {
		sopts = append(sopts, dtls4.WithInsecureSkipVerifyHello(true))
	}
	if s.mtu != 0 {
		sopts = append(sopts, dtls4.WithMTU(s.mtu))
	}
	l, err := dtls4.ListenAddr("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, sopts...)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	relay := newRecordingRelay(t, l.Addr().(*net.UDPAddr))

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var app appLog
	serverErr := make(chan error, 1)
	go func() { serverErr <- serveSession13(ctx, l, s, &app) }()

	pc := listenLoopback(t)
	var copts []dtls4.ClientOption
	for _, o := range clientOpts {
		copts = append(copts, o)
	}
	c, err := dtls4.Client(pc, relay.Addr(), copts...)
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	if err := clientSession13(ctx, c, s, &app); err != nil {
		c.Close()
		t.Fatalf("client: %v", err)
	}
	// Closing sends close_notify, which ends the server's session.
	if err := c.Close(); err != nil {
		t.Errorf("client close: %v", err)
	}
	pc.Close()
	if err := <-serverErr; err != nil {
		t.Fatalf("server: %v", err)
	}
	datagrams := relay.settle(300*time.Millisecond, 3*time.Second)

	ck, sk := clientKeys.lines(), serverKeys.lines()
	if !slices.Equal(sortedCopy(ck), sortedCopy(sk)) {
		t.Fatalf("the peers logged different keys:\nclient %q\nserver %q", ck, sk)
	}
	out := &capture13{
		Description: s.description,
		Peer:        pionV4,
		Suite:       s.suite.String(),
		Group:       s.group,
		CIDClient:   hex.EncodeToString(s.clientCID),
		CIDServer:   hex.EncodeToString(s.serverCID),
		Keylog:      ck,
		AppData:     app.msgs,
	}
	if s.clientCID == nil || s.serverCID == nil {
		// An ID is only used when both sides negotiate the extension.
		out.CIDClient, out.CIDServer = "", ""
	}
	for _, d := range datagrams {
		out.Datagrams = append(out.Datagrams, capturedBytes{From: d.from, Hex: hex.EncodeToString(d.data)})
	}
	return out
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// clientSession13 runs the client's side of s on c.
func clientSession13(ctx context.Context, c *dtls4.Conn, s session13, app *appLog) error {
	if err := c.HandshakeContext(ctx); err != nil {
		return err
	}
	if err := exchange(ctx, c, app, messages[0], messages[1]); err != nil {
		return err
	}
	if !s.keyUpdate {
		return nil
	}
	if err := c.UpdateKeys(ctx, dtls4.KeyUpdateOptions{RequestPeerUpdate: true}); err != nil {
		return err
	}
	return exchange(ctx, c, app, messages[2], messages[3])
}

// exchange sends msg on c and expects want back.
func exchange(ctx context.Context, c *dtls4.Conn, app *appLog, msg, want []byte) error {
	if err := app.write(c, "client", msg); err != nil {
		return err
	}
	got, err := readOne(ctx, c)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return errors.New("client read " + string(got) + ", want " + string(want))
	}
	return nil
}

// serveSession13 accepts one connection on l and runs the server's side
// of s: answer each client message, then wait for close_notify.
func serveSession13(ctx context.Context, l net.Listener, s session13, app *appLog) error {
	conn, err := l.Accept()
	if err != nil {
		return err
	}
	c := conn.(*dtls4.Conn)
	defer c.Close()
	if err := c.HandshakeContext(ctx); err != nil {
		return err
	}
	rounds := 1
	if s.keyUpdate {
		rounds = 2
	}
	for r := range rounds {
		got, err := readOne(ctx, c)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, messages[2*r]) {
			return errors.New("server read " + string(got))
		}
		if err := app.write(c, "server", messages[2*r+1]); err != nil {
			return err
		}
	}
	if _, err := readOne(ctx, c); !errors.Is(err, io.EOF) {
		return errors.New("server: no close_notify: " + errString(err))
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// readOne reads one application record from c, within ctx.
func readOne(ctx context.Context, c net.Conn) ([]byte, error) {
	deadline, _ := ctx.Deadline()
	c.SetReadDeadline(deadline)
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	return buf[:n], err
}

// The external PSK of the PSK sessions (RFC 8446, Section 4.2.11).
var (
	psk13         = []byte("pathdtls-pion dtls13 key, 32 by")
	pskIdentity13 = []byte("pathdtls-psk13")
)

func pskClient() ([]dtls4.PSK, error) {
	return []dtls4.PSK{{Identity: pskIdentity13, Key: psk13}}, nil
}

func pskServer(ids [][]byte) (*dtls4.PSK, error) {
	for _, id := range ids {
		if bytes.Equal(id, pskIdentity13) {
			return &dtls4.PSK{Identity: pskIdentity13, Key: psk13}, nil
		}
	}
	return nil, nil
}

// offerPSKKEOnly makes a ClientHello offer psk_ke alone in its
// psk_key_exchange_modes (RFC 8446, Section 4.2.9).
func offerPSKKEOnly(hello handshake.MessageClientHello) handshake.Message {
	hello.Extensions = slices.Clone(hello.Extensions)
	for i, e := range hello.Extensions {
		if _, ok := e.(*extension13.PSKKeyExchangeModes); ok {
			hello.Extensions[i] = &extension13.PSKKeyExchangeModes{Modes: []extension13.PSKKeyExchangeMode{extension13.PSKKE}}
		}
	}
	return &hello
}
