package dtls

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

func TestRetransmitTimer(t *testing.T) {
	tm := newRetransmitTimer(time.Second)
	steps := []struct {
		op   string
		want time.Duration
	}{
		{"expire", 2 * time.Second},
		{"expire", 4 * time.Second},
		{"answered-after-loss", 4 * time.Second}, // kept until a flight goes through without loss
		{"expire", 8 * time.Second},
		{"expire", 16 * time.Second},
		{"expire", 32 * time.Second},
		{"expire", 60 * time.Second}, // capped (RFC 6347 §4.2.4.1)
		{"expire", 60 * time.Second},
		{"answered-clean", time.Second},
	}
	for i, s := range steps {
		switch s.op {
		case "expire":
			tm.expired()
		case "answered-after-loss":
			tm.answered(true)
		case "answered-clean":
			tm.answered(false)
		}
		if tm.cur != s.want {
			t.Fatalf("step %d (%s): timer %v, want %v", i, s.op, tm.cur, s.want)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	bad := []*Config{
		{MinVersion: 0x0303},
		{MinVersion: VersionDTLS12, MaxVersion: VersionDTLS10},
		{ReplayWindow: 16},
		{DatagramSize: 10},
		{CipherSuites: []uint16{0x0005}}, // TLS_RSA_WITH_RC4_128_SHA: never
	}
	for i, c := range bad {
		if err := c.check(); err == nil {
			t.Errorf("#%d: check accepted %+v", i, c)
		}
	}
	if err := (&Config{}).check(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

// TestCheckServer checks the configurations a server refuses before any
// handshake: no way to authenticate, or none its cipher suites can use.
func TestCheckServer(t *testing.T) {
	p := getPKI()
	psk := func([]byte) ([]byte, error) { return []byte("key"), nil }
	keyless := tls.Certificate{Certificate: p.ecdsa.Certificate}
	bad := map[string]*Config{
		"nil":                        nil,
		"nothing":                    {},
		"an empty certificate":       {Certificates: []tls.Certificate{{}}},
		"no private key":             {Certificates: []tls.Certificate{keyless}},
		"ECDSA key, RSA suites only": {Certificates: []tls.Certificate{p.ecdsa}, CipherSuites: []uint16{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, MaxVersion: VersionDTLS12},
		"PSK suites only, no PSK":    {Certificates: []tls.Certificate{p.ecdsa}, CipherSuites: []uint16{TLS_PSK_WITH_AES_128_GCM_SHA256}, MaxVersion: VersionDTLS12},
		"a bad version, and a cert":  {Certificates: []tls.Certificate{p.ecdsa}, MinVersion: 0x0303},
		"1.3, PSK, SHA-384 only":     {PSK: psk, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13, CipherSuites: []uint16{TLS_AES_256_GCM_SHA384}},
		"1.3, no private key":        {Certificates: []tls.Certificate{keyless}, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13},
	}
	for name, c := range bad {
		if err := c.CheckServer(); err == nil {
			t.Errorf("%s: CheckServer accepted it", name)
		}
	}
	good := map[string]*Config{
		"ECDSA":     {Certificates: []tls.Certificate{p.ecdsa}},
		"RSA":       {Certificates: []tls.Certificate{p.rsa}},
		"PSK":       {PSK: psk},
		"PSK suite": {PSK: psk, Certificates: []tls.Certificate{keyless}, CipherSuites: []uint16{TLS_PSK_WITH_AES_128_CBC_SHA}},
		// DTLS 1.3 takes the certificate whatever the DTLS 1.2 suites.
		"ECDSA key, RSA suites, 1.3": {Certificates: []tls.Certificate{p.ecdsa}, CipherSuites: []uint16{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, MaxVersion: VersionDTLS13},
		"1.3 only, PSK":              {PSK: psk, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13},
		"1.3 only, RSA":              {Certificates: []tls.Certificate{p.rsa}, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13},
	}
	for name, c := range good {
		if err := c.CheckServer(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestServerWithoutCredentials checks that the handshake of a server made
// with a Config it cannot serve with fails at once, with CheckServer's
// error, rather than after the client's flights time out.
func TestServerWithoutCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, _ := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.HandshakeTimeout = time.Second
		_, _, _, serr := handshakePair(t, cc, &Config{}, dgramtest.Impairment{}, dgramtest.Impairment{})
		if serr == nil || !strings.Contains(serr.Error(), "needs Certificates or a PSK") {
			t.Fatalf("server: %v", serr)
		}
	})
}

// clientHelloDatagram builds a datagram holding one ClientHello.
func clientHelloDatagram(t testing.TB, cookie []byte, random byte) []byte {
	t.Helper()
	ch := handshake.ClientHello{
		Version: VersionDTLS12, Cookie: cookie,
		CipherSuites: []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, CompressionMethods: []uint8{0},
	}
	ch.Random[0] = random
	body, err := ch.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	h := handshake.Header{Type: handshake.TypeClientHello, Length: uint32(len(body)), FragmentLength: uint32(len(body))}
	rh := record.Header{Type: record.Handshake, Version: VersionDTLS10, Seq: 7}
	return record.AppendRecord(nil, rh, append(h.Append(nil), body...), record.NewNull())
}

// cookieFrom extracts the cookie from a HelloVerifyRequest datagram.
func cookieFrom(t testing.TB, d []byte) []byte {
	t.Helper()
	rh, frag, rest, ok := record.Split(d)
	if !ok || len(rest) != 0 || rh.Seq != 7 {
		t.Fatalf("HelloVerifyRequest record: ok %v, seq %d (want the ClientHello's, 7)", ok, rh.Seq)
	}
	hh, body, _, ok := handshake.ParseFragment(frag)
	var hvr handshake.HelloVerifyRequest
	if !ok || hh.Type != handshake.TypeHelloVerifyRequest || !hvr.Unmarshal(body) {
		t.Fatal("reply is not a HelloVerifyRequest")
	}
	return hvr.Cookie
}

func TestCookieExchange(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	cfg := &Config{Time: func() time.Time { return now }, CookieSecretLifetime: time.Minute}
	addr := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5000}
	other := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5001}

	reply, ok := cfg.VerifyClientHello(clientHelloDatagram(t, nil, 1), addr)
	if ok || reply == nil {
		t.Fatalf("ClientHello without cookie: accept %v, reply %v", ok, reply != nil)
	}
	cookie := cookieFrom(t, reply)
	if _, ok := cfg.VerifyClientHello(clientHelloDatagram(t, cookie, 1), addr); !ok {
		t.Fatal("valid cookie rejected")
	}
	if _, ok := cfg.VerifyClientHello(clientHelloDatagram(t, cookie, 1), other); ok {
		t.Fatal("cookie accepted from another port")
	}
	if _, ok := cfg.VerifyClientHello(clientHelloDatagram(t, cookie, 2), addr); ok {
		t.Fatal("cookie accepted for a different ClientHello")
	}
	now = now.Add(90 * time.Second) // one rotation: the previous secret still verifies
	if _, ok := cfg.VerifyClientHello(clientHelloDatagram(t, cookie, 1), addr); !ok {
		t.Fatal("cookie of the previous secret rejected")
	}
	now = now.Add(90 * time.Second) // two rotations: too old
	if _, ok := cfg.VerifyClientHello(clientHelloDatagram(t, cookie, 1), addr); ok {
		t.Fatal("cookie two secrets old accepted")
	}
	if reply, ok := cfg.VerifyClientHello([]byte{22, 254, 253, 0}, addr); ok || reply != nil {
		t.Fatal("garbage got an answer")
	}
}

// TestCookieStateless checks that answering ClientHellos keeps no
// per-client state: the only state is the Config's cookie secrets, which are
// fixed-size and untouched by a thousand clients.
func TestCookieStateless(t *testing.T) {
	cfg := &Config{}
	cfg.VerifyClientHello(clientHelloDatagram(t, nil, 0), &net.UDPAddr{Port: 1})
	jar := cfg.cookieJar()
	before := [2][32]byte{jar.cur, jar.prev}
	since := jar.since
	for i := range 1000 {
		addr := &net.UDPAddr{IP: net.IPv4(198, 51, 100, byte(i)), Port: 1000 + i}
		reply, ok := cfg.VerifyClientHello(clientHelloDatagram(t, nil, byte(i)), addr)
		if ok || reply == nil {
			t.Fatal("a ClientHello without a cookie was not answered with a HelloVerifyRequest")
		}
	}
	if [2][32]byte{jar.cur, jar.prev} != before || jar.since != since || cfg.cookieJar() != jar {
		t.Fatal("cookie state changed while answering clients")
	}
}

func TestRecordHeaderLen(t *testing.T) {
	if RecordHeaderLen != record.HeaderLen {
		t.Fatalf("RecordHeaderLen %d, record.HeaderLen %d", RecordHeaderLen, record.HeaderLen)
	}
	b := (&record.Header{Type: record.Handshake, Version: VersionDTLS12, Epoch: 3, Seq: 1<<47 + 5}).Append(nil)
	id, ok := ParseRecordID(b)
	if !ok || id != (RecordID{Epoch: 3, Seq: 1<<47 + 5}) {
		t.Fatalf("ParseRecordID = %+v, %v", id, ok)
	}
	if _, ok := ParseRecordID(b[:12]); ok {
		t.Fatal("ParseRecordID accepted 12 bytes")
	}
}

// FuzzParseRecordID checks ParseRecordID against the record layer's own
// parser: it must agree on every header the record layer reads.
func FuzzParseRecordID(f *testing.F) {
	f.Add((&record.Header{Type: record.Handshake, Version: VersionDTLS10, Seq: 7}).Append(nil))
	f.Add((&record.Header{Type: record.ApplicationData, Version: VersionDTLS12, Epoch: 1, Seq: 1 << 40, Length: 20}).Append(nil))
	f.Add([]byte{22, 254, 253, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, ok := ParseRecordID(b)
		if ok && len(b) < RecordHeaderLen {
			t.Fatalf("accepted %d bytes", len(b))
		}
		// The record layer reads a header and a body; give it the body it
		// announces, and both must read the same epoch and sequence number.
		if len(b) < RecordHeaderLen {
			return
		}
		whole := append(append([]byte(nil), b[:RecordHeaderLen]...), make([]byte, int(b[11])<<8|int(b[12]))...)
		h, _, _, rok := record.Split(whole)
		if rok && h.Type >= 20 && h.Type <= 24 && (!ok || id != (RecordID{Epoch: h.Epoch, Seq: h.Seq})) {
			t.Fatalf("record.Split reads epoch %d seq %d, ParseRecordID %+v %v", h.Epoch, h.Seq, id, ok)
		}
	})
}

// TestMaxKeyBlockLen checks that a handshake's room for the key block
// holds the key block of every suite.
func TestMaxKeyBlockLen(t *testing.T) {
	for _, s := range cipherSuites {
		if n := s.keyBlockLen(); n > maxKeyBlockLen {
			t.Errorf("%s: a key block of %d bytes, more than maxKeyBlockLen, %d", s.name, n, maxKeyBlockLen)
		}
	}
}

// TestPSKClientWithoutName checks what a client without a ServerName
// offers: its PSK suites only if it has a PSK, and an error otherwise, or
// if it allows certificate suites only.
func TestPSKClientWithoutName(t *testing.T) {
	psk := func([]byte) ([]byte, error) { return []byte("key"), nil }
	offered := func(c *Config) ([]uint16, error) {
		hs := &clientHandshake{}
		hs.c = &Conn{config: c}
		ch, err := hs.makeHello()
		if err != nil {
			return nil, err
		}
		return ch.CipherSuites, nil
	}
	suites, err := offered(&Config{PSK: psk})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range suites {
		if s := suiteByID(id); s != nil && !s.psk() { // nil: a DTLS 1.3 suite, which a PSK serves
			t.Errorf("a PSK client without a name offers %s", CipherSuiteName(id))
		}
	}
	if len(suites) == 0 {
		t.Error("a PSK client without a name offers nothing")
	}
	for name, c := range map[string]*Config{
		"no PSK":                  {},
		"certificate suites only": {PSK: psk, CipherSuites: []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, MaxVersion: VersionDTLS12},
	} {
		if _, err := offered(c); err != errNoServerName {
			t.Errorf("%s: %v, want errNoServerName", name, err)
		}
	}
	if suites, err := offered(&Config{PSK: psk, ServerName: "example.net"}); err != nil || len(suites) <= 2 {
		t.Errorf("a PSK client with a name offers %d suites, %v; want the certificate suites too", len(suites), err)
	}
}

// TestSuiteOrder checks the default order with and without AES hardware:
// every suite once, and ChaCha20-Poly1305 first among each key exchange's
// AEADs without it.
func TestSuiteOrder(t *testing.T) {
	names := func(ss []*cipherSuite) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.name)
		}
		return out
	}
	with, without := orderSuites(cipherSuites, true), orderSuites(cipherSuites, false)
	if len(without) != len(cipherSuites) {
		t.Fatalf("without AES hardware: %d suites, want %d: %v", len(without), len(cipherSuites), names(without))
	}
	if with[0].bulk != aesGCM || without[0].id != TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
		t.Errorf("first suites %s / %s", with[0].name, without[0].name)
	}
	for i, s := range without {
		if s.bulk == aesGCM && s.keyLen == 16 && without[i-1].bulk != chacha {
			t.Errorf("without AES hardware, %s comes before its ChaCha20 suite: %v", s.name, names(without))
		}
	}
}

// TestVersionDefaults checks the range of versions a Config allows.
func TestVersionDefaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		c        *Config
		min, max uint16
	}{
		{"zero", &Config{}, VersionDTLS12, VersionDTLS12},
		{"1.3 offered", &Config{MaxVersion: VersionDTLS13}, VersionDTLS12, VersionDTLS13},
		{"1.3 only", &Config{MinVersion: VersionDTLS13}, VersionDTLS13, VersionDTLS13},
		{"1.0 too", &Config{MinVersion: VersionDTLS10}, VersionDTLS10, VersionDTLS12},
	} {
		if err := tc.c.check(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if lo, hi := tc.c.minVersion(), tc.c.maxVersion(); lo != tc.min || hi != tc.max {
			t.Errorf("%s: versions %#x to %#x, want %#x to %#x", tc.name, lo, hi, tc.min, tc.max)
		}
	}
}
