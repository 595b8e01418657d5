package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/cliconfig"
	"github.com/pathdtls/pathdtls/internal/testenv"
)

const (
	pskHex = "00112233445566778899aabbccddeeff"
	pskID  = "test-client"
	// default13 matches the DTLS 1.3 suite two default sides choose: AES-GCM,
	// or ChaCha20-Poly1305 on a CPU without AES instructions.
	default13 = "TLS_(AES_128_GCM_SHA256|CHACHA20_POLY1305_SHA256)"
)

func TestEcho(t *testing.T) {
	f := writePKI(t)
	certArgs := []string{"-cert", f.cert, "-key", f.key}
	caArgs := []string{"-CAfile", f.ca}
	pskServer := []string{"-psk", pskHex, "-psk_identity", pskID, "-psk_hint", "hint"}
	pskClient := []string{"-psk", pskHex, "-psk_identity", pskID}
	tests := []struct {
		name           string
		server, client []string
		version, suite string
	}{
		// A default client and a -dtls1_2 server settle on DTLS 1.2.
		{"DTLS1.2/ECDSA", append([]string{"-dtls1_2"}, certArgs...), caArgs, "DTLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{"DTLS1.3/ECDSA", append([]string{"-dtls1_3"}, certArgs...), append([]string{"-dtls1_3"}, caArgs...), "DTLSv1.3", default13},
		{"DTLS1.3/PSK", append([]string{"-dtls1_3"}, pskServer...), append([]string{"-dtls1_3"}, pskClient...), "DTLSv1.3", default13},
		// By default both sides offer DTLS 1.3 and 1.2, and use 1.3.
		{"default/ECDSA", certArgs, caArgs, "DTLSv1.3", default13},
		{"default/PSK", pskServer, pskClient, "DTLSv1.3", default13},
		{"DTLS1.0/ECDSA", append([]string{"-dtls1"}, certArgs...), append([]string{"-dtls1"}, caArgs...),
			"DTLSv1.0", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		{"DTLS1.2/PSK", append([]string{"-dtls1_2"}, pskServer...), append([]string{"-dtls1_2"}, pskClient...),
			"DTLSv1.2", "TLS_PSK_WITH_AES_128_GCM_SHA256"},
		{"DTLS1.0/PSK", append([]string{"-dtls1"}, pskServer...), append([]string{"-dtls1"}, pskClient...),
			"DTLSv1.0", "TLS_PSK_WITH_AES_128_CBC_SHA"},
		// A -cipher list of DTLS 1.2 suites only leaves DTLS 1.3 out.
		{"DTLS1.2/-cipher", certArgs, append([]string{"-cipher", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}, caArgs...),
			"DTLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, append([]string{"-naccept", "1"}, tt.server...)...)
			lines := []string{"hello", "", "world", strings.Repeat("x", 1000)}
			want := "hello\nworld\n" + lines[3] + "\n" // the empty line is not sent
			c := clientLines(t, append(tt.client, "-wait", "100ms", "127.0.0.1:"+srv.port), lines, 3)
			if c.code != 0 || c.stdout != want {
				t.Errorf("client exited %d, printed %q; want 0 and the lines back\nstderr: %s", c.code, c.stdout, c.stderr)
			}
			s := srv.wait(t)
			accept := regexp.MustCompile(`(?m)^ACCEPT 127\.0\.0\.1:\d+ ` + tt.version + ` ` + tt.suite + `$`)
			if s.code != 0 || !accept.MatchString(s.stderr) || !strings.Contains(s.stderr, "CLOSE 127.0.0.1:") {
				t.Errorf("server exited %d with stderr:\n%s\nwant ACCEPT ... %s %s and CLOSE", s.code, s.stderr, tt.version, tt.suite)
			}
		})
	}
}

func TestEchoIPv6(t *testing.T) {
	if c, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		testenv.SkipOrFail(t, "no IPv6 loopback: %v", err)
	} else {
		c.Close()
	}
	f := writePKI(t)
	srv := startServer(t, "-naccept", "1", "-cert", f.cert, "-key", f.key)
	c := clientLines(t, []string{"-CAfile", f.ca, "-wait", "100ms", "[::1]:" + srv.port}, []string{"over IPv6"}, 1)
	if c.code != 0 || c.stdout != "over IPv6\n" {
		t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	if s := srv.wait(t); !strings.Contains(s.stderr, "ACCEPT [::1]:") {
		t.Errorf("server stderr:\n%s\nwant ACCEPT [::1]:...", s.stderr)
	}
}

func TestServerPrints(t *testing.T) {
	srv := startServer(t, "-naccept", "1", "-echo=false", "-psk", pskHex)
	lines := []string{"first", "second"}
	c := clientLines(t, []string{"-psk", pskHex, "-wait", "100ms", "localhost:" + srv.port}, lines, 0)
	if c.code != 0 || c.stdout != "" {
		t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	if s := srv.wait(t); s.code != 0 || s.stdout != "first\nsecond\n" {
		t.Errorf("server exited %d, printed %q; want the client's lines\nstderr: %s", s.code, s.stdout, s.stderr)
	}
}

func TestVerbose(t *testing.T) {
	f := writePKI(t)
	srv := startServer(t, "-naccept", "1", "-v", "-cert", f.cert, "-key", f.key)
	c := clientLines(t, []string{"-dtls1_2", "-v", "-CAfile", f.ca, "-servername", "localhost", "127.0.0.1:" + srv.port}, []string{"hi"}, 1)
	s := srv.wait(t)
	const suite = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
	for _, want := range []string{"trace: flight sent flight=[ClientHello] ", "trace: HelloVerifyRequest received cookie_len=",
		`trace: flight sent flight="[ClientKeyExchange, ChangeCipherSpec, Finished]"`, "trace: handshake complete version=\"DTLS 1.2\" suite=" + suite, "CONNECTED 127.0.0.1:" + srv.port + " DTLSv1.2 " + suite} {
		if !strings.Contains(c.stderr, want) {
			t.Errorf("client -v stderr lacks %q:\n%s", want, c.stderr)
		}
	}
	for _, want := range []string{"trace: HelloVerifyRequest sent size=", `trace: flight sent flight="[ServerHello, Certificate, ServerKeyExchange, ServerHelloDone]"`, suite} {
		if !strings.Contains(s.stderr, want) {
			t.Errorf("server -v stderr lacks %q:\n%s", want, s.stderr)
		}
	}
}

// TestWrongCA checks that a client that cannot verify the server exits 1
// with a single line on standard error.
func TestWrongCA(t *testing.T) {
	f := writePKI(t)
	srv := startServer(t, "-naccept", "1", "-cert", f.cert, "-key", f.key)
	c := clientLines(t, []string{"-CAfile", f.otherCA, "127.0.0.1:" + srv.port}, nil, 0)
	if c.code != 1 || strings.Count(c.stderr, "\n") != 1 || !strings.Contains(c.stderr, "handshake") {
		t.Errorf("client exited %d with stderr %q; want 1 and one line about the handshake", c.code, c.stderr)
	}
	if s := srv.wait(t); s.code != 0 || !strings.Contains(s.stderr, "FAIL 127.0.0.1:") {
		t.Errorf("server exited %d with stderr:\n%s\nwant 0 and a FAIL line", s.code, s.stderr)
	}
}

// TestServerInterrupted checks that a server interrupted while it serves
// an association says that it ended the association itself, not that a
// connection was closed, and exits 0.
func TestServerInterrupted(t *testing.T) {
	srv := startServer(t, "-psk", pskHex)
	client := exec.Command(binary, "client", "-psk", pskHex, "127.0.0.1:"+srv.port)
	stdin, err := client.StdinPipe() // kept open: the client stays
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Process.Kill()
		client.Wait()
	})
	srv.await(t, "ACCEPT 127.0.0.1:")
	if err := srv.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Skipf("cannot interrupt a process here: %v", err)
	}
	s := srv.wait(t)
	closeLine := regexp.MustCompile(`(?m)^CLOSE 127\.0\.0\.1:\d+ server shutting down$`)
	if s.code != 0 || !closeLine.MatchString(s.stderr) || strings.Contains(s.stderr, "closed network connection") {
		t.Errorf("server exited %d with stderr:\n%s\nwant 0 and CLOSE ... server shutting down", s.code, s.stderr)
	}
}

var datagramSizes = regexp.MustCompile(`(\d+) bytes[ )]|max_size=(\d+)`)

// TestMTU checks that -mtu 300 keeps every handshake datagram of both sides
// within 300-28 bytes of UDP payload, fragmenting the certificate chain.
func TestMTU(t *testing.T) {
	f := writePKI(t)
	srv := startServer(t, "-naccept", "1", "-v", "-mtu", "300", "-dtls1_2", "-cert", f.cert, "-key", f.key)
	c := clientLines(t, []string{"-v", "-mtu", "300", "-CAfile", f.ca, "127.0.0.1:" + srv.port}, []string{"small"}, 1)
	s := srv.wait(t)
	if c.code != 0 || c.stdout != "small\n" {
		t.Fatalf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	var sizes []int
	for _, trace := range []string{c.stderr, s.stderr} {
		for _, line := range strings.Split(trace, "\n") {
			if !strings.HasPrefix(line, "trace: flight sent") {
				continue
			}
			// The flight's own bound (max_size) is a datagram size as
			// well, so it is checked along with the datagrams.
			for _, m := range datagramSizes.FindAllStringSubmatch(line, -1) {
				n, _ := strconv.Atoi(m[1] + m[2])
				sizes = append(sizes, n)
			}
		}
	}
	if len(sizes) < 8 {
		t.Fatalf("found only %d datagram sizes in the traces:\n%s\n%s", len(sizes), c.stderr, s.stderr)
	}
	for _, n := range sizes {
		if n > 272 {
			t.Errorf("handshake datagram of %d bytes exceeds 272", n)
		}
	}
	if !regexp.MustCompile(`Certificate\[[1-9]\d*\+`).MatchString(s.stderr) {
		t.Errorf("the server's Certificate was not fragmented:\n%s", s.stderr)
	}
	if !strings.Contains(c.stderr, "maxpayload 235") { // 272 - 13 header - 8 nonce - 16 tag
		t.Errorf("client did not report maxpayload 235:\n%s", c.stderr)
	}
}

func TestDemo(t *testing.T) {
	r := runTool(t, "", "demo")
	if r.code != 0 {
		t.Fatalf("demo exited %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"DTLSv1.3", "DTLSv1.2", "DTLSv1.0", `echoed "datagram 3 over DTLSv1.3"`, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", `echoed "datagram 3 over DTLSv1.0"`, "MaxPayload"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Each version's search probes the loopback path up to the transport's
	// cap, 1500, which the loopback interface's larger MTU lets through.
	searched := regexp.MustCompile(`(?m)^  after the path-MTU search: path MTU 1500 \(search SEARCH_COMPLETE, ([1-9]\d*) probes?\)`)
	if n := len(searched.FindAllString(r.stdout, -1)); n != 3 {
		t.Errorf("demo output shows %d completed searches that reached 1500 with probes; want 3:\n%s", n, r.stdout)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in standard error
	}{
		{[]string{"-h"}, 0, "dtls client [flags] HOST:PORT"},
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"client", "-h"}, 0, "-dtls1_2"},
		{[]string{"client", "--help"}, 0, "-CAfile"},
		{[]string{"server", "-h"}, 0, "-psk_hint"},
		{[]string{"demo", "-h"}, 0, "DTLS 1.3, then 1.2, then 1.0"},
		{[]string{"client"}, 2, "HOST:PORT"},
		{[]string{"client", "-nosuchflag", "x:1"}, 2, "nosuchflag"},
		{[]string{"client", "-cipher", "TLS_RSA_WITH_RC4_128_SHA", "x:1"}, 2, `unknown cipher suite "TLS_RSA_WITH_RC4_128_SHA"`},
		{[]string{"client", "-dtls1", "-dtls1_2", "x:1"}, 2, "-dtls1 and -dtls1_2 are mutually exclusive"},
		{[]string{"client", "-dtls1_3", "-dtls1_2", "x:1"}, 2, "dtls client: -dtls1_2 and -dtls1_3 are mutually exclusive"},
		{[]string{"server", "-dtls1", "-dtls1_2", "-dtls1_3", "-psk", "01", ":0"}, 2, "-dtls1, -dtls1_2 and -dtls1_3 are mutually exclusive"},
		{[]string{"client", "-h"}, 0, "-dtls1_3"},
		{[]string{"server", "-h"}, 0, "-keyupdate N"},
		{[]string{"client", "-cipher", "TLS_AES_128_GCM_SHA256,TLS_AES_512_GCM", "x:1"}, 2, `unknown cipher suite "TLS_AES_512_GCM"; supported: TLS_AES_128_GCM_SHA256,`},
		{[]string{"client", "-dtls1_3", "-cipher", "TLS_PSK_WITH_AES_128_GCM_SHA256", "x:1"}, 2, "-dtls1_3 and -cipher: the list names no DTLS 1.3 suite"},
		{[]string{"client", "-dtls1_2", "-cipher", "TLS_AES_128_GCM_SHA256", "x:1"}, 2, "-cipher names only DTLS 1.3 suites, but DTLS 1.3 is not offered"},
		{[]string{"client", "-dtls1_2", "-cipher", "TLS_AES_128_GCM_SHA256", "x:1"}, 2, "-cipher names only DTLS 1.3 suites"},
		{[]string{"client", "-keyupdate", "-1", "-psk", "01", "x:1"}, 2, "dtls client: -keyupdate -1s is negative"},
		{[]string{"server", "-keyupdate", "-0.5", "-psk", "01", ":0"}, 2, "dtls server: -keyupdate -500ms is negative"},
		{[]string{"client", "-keyupdate", "x", "-psk", "01", "x:1"}, 2, `invalid value "x" for flag -keyupdate: want a number of seconds`},
		{[]string{"server", "-dtls1_3", "-renegotiate", "1s", "-psk", "01", ":0"}, 2, "dtls server: -renegotiate is a DTLS 1.2 feature"},
		{[]string{"client", "-dtls1_3", "-renegotiate", "-psk", "01", "x:1"}, 2, "dtls client: -renegotiate is a DTLS 1.2 feature"},
		{[]string{"client", "-dtls1_2", "-keyupdate", "5", "-psk", "01", "x:1"}, 2, "dtls client: -keyupdate is a DTLS 1.3 feature"},
		{[]string{"client", "-keyupdate", "NaN", "-psk", "01", "x:1"}, 2, `invalid value "NaN" for flag -keyupdate: out of range`},
		{[]string{"client", "-psk", "xyz", "x:1"}, 2, "hex"},
		{[]string{"client", "-mtu", "50", "127.0.0.1:9"}, 2, "-mtu 50 is outside [92, 65535]"},
		{[]string{"client", "-mtu", "70000", "127.0.0.1:9"}, 2, "-mtu 70000 is outside"},
		{[]string{"client", "-mtu", "100", "[::1]:9"}, 1, "MTU 100 is outside [112, 65535] for IPv6"},
		{[]string{"server", "-psk", "01", "-mtu", "91", ":0"}, 2, "-mtu 91 is outside"},
		{[]string{"server", ":0"}, 2, "-cert"},
		{[]string{"server", "-cert", "/nonexistent.pem", ":0"}, 2, "nonexistent"},
		// A bad address is a usage error, found before anything is dialled.
		{[]string{"client", "-insecure", "nonsense"}, 2, `dtls client: bad address "nonsense": missing port in address; want HOST:PORT`},
		{[]string{"client", "-insecure", "localhost:"}, 2, `bad address "localhost:": no port`},
		{[]string{"client", "-insecure", "[::1"}, 2, "missing ']'"},
		{[]string{"client", "-insecure", "localhost:no-such-service"}, 2, `port "no-such-service" is neither a number nor a UDP service name`},
		{[]string{"client", "-insecure", "localhost:0"}, 2, "port 0"},
		{[]string{"server", "-psk", "01", "nonsense"}, 2, `dtls server: bad address "nonsense": missing port in address; want [HOST]:PORT`},
		{[]string{"server", "-psk", "01", "-naccept", "-1", ":0"}, 2, "dtls server: -naccept -1 is negative"},
		{[]string{"server", "-psk", "01", "-idle", "-1s", ":0"}, 2, "dtls server: -idle -1s is negative"},
	}
	for _, tt := range tests {
		r := runTool(t, "", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || tt.code == 2 && strings.Count(r.stderr, "\n") != 1 && !strings.Contains(r.stderr, "Usage") {
			t.Errorf("dtls %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.want)
		}
	}
}

// TestReconnect runs a client with -reconnect against a server: the
// second handshake resumes the first's session, by ticket unless either
// side says -no_ticket, and both say so.
func TestReconnect(t *testing.T) {
	f := writePKI(t)
	for name, args := range map[string][2][]string{
		"ECDSA": {{"-cert", f.cert, "-key", f.key}, {"-CAfile", f.ca}},
		"PSK":   {{"-psk", pskHex}, {"-psk", pskHex}},
	} {
		for _, mode := range []struct {
			name           string
			server, client []string
			by             string
		}{
			{"ticket", nil, nil, "ticket"},
			// Without tickets, a session ID: DTLS 1.2 only.
			{"client -no_ticket", []string{"-dtls1_2"}, []string{"-no_ticket"}, "session ID"},
			{"server -no_ticket", []string{"-no_ticket", "-dtls1_2"}, nil, "session ID"},
		} {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				srv := startServer(t, slices.Concat([]string{"-naccept", "2"}, mode.server, args[0])...)
				cargs := slices.Concat(args[1], mode.client, []string{"-v", "-reconnect", "-wait", "100ms", "127.0.0.1:" + srv.port})
				c := clientLines(t, cargs, []string{"again"}, 1)
				if c.code != 0 || c.stdout != "again\n" || !strings.Contains(c.stderr, "RECONNECT 127.0.0.1:"+srv.port+" resumed") ||
					!strings.Contains(c.stderr, "trace: session resumed by="+cliconfig.QuoteValue(mode.by)+"\n") {
					t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
				}
				s := srv.wait(t)
				if n := strings.Count(s.stderr, " resumed\n"); s.code != 0 || n != 1 {
					t.Errorf("server exited %d, %d resumed handshakes, want 1:\n%s", s.code, n, s.stderr)
				}
			})
		}
	}
}

// TestRenegotiate runs a server that asks its clients to renegotiate
// every 200 ms: a client with -renegotiate does, and says so under -v; one
// without refuses, and the association goes on.
func TestRenegotiate(t *testing.T) {
	f := writePKI(t)
	for _, allow := range []bool{true, false} {
		t.Run(fmt.Sprintf("allow=%v", allow), func(t *testing.T) {
			srv := startServer(t, "-naccept", "1", "-dtls1_2", "-renegotiate", "200ms", "-cert", f.cert, "-key", f.key)
			args := []string{"-CAfile", f.ca, "-v", "-wait", "700ms", "127.0.0.1:" + srv.port}
			if allow {
				args = append([]string{"-renegotiate"}, args...)
			}
			c := clientLines(t, args, []string{"one"}, 1)
			if c.code != 0 || c.stdout != "one\n" {
				t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
			}
			s := srv.wait(t)
			want := "RENEGOTIATE 127.0.0.1:[0-9]+ DTLSv1.2 TLS_ECDHE_ECDSA_"
			if !allow {
				want = "RENEGOTIATE 127.0.0.1:[0-9]+ dtls: the peer refused to renegotiate"
			}
			if n := len(regexp.MustCompile(want).FindAllString(s.stderr, -1)); s.code != 0 || n < 2 {
				t.Errorf("server exited %d with %d lines matching %q, want 2 or more:\n%s", s.code, n, want, s.stderr)
			}
			if got := strings.Count(c.stderr, "trace: renegotiation complete epoch="); allow && got < 2 || !allow && got != 0 {
				t.Errorf("the client traced %d renegotiations:\n%s", got, c.stderr)
			}
		})
	}
}

// TestConnectionIDFlag runs a server with -cid 8 and a client with -cid 0:
// the association uses connection IDs, as -v says on both sides, and data
// is echoed; a -cid out of range is a usage error.
func TestConnectionIDFlag(t *testing.T) {
	srv := startServer(t, "-naccept", "1", "-cid", "8", "-v", "-psk", pskHex)
	c := clientLines(t, []string{"-cid", "0", "-v", "-psk", pskHex, "-wait", "100ms", "127.0.0.1:" + srv.port}, []string{"with an ID"}, 1)
	if c.code != 0 || c.stdout != "with an ID\n" || !regexp.MustCompile(`trace: connection ID negotiated own="" peer=[0-9a-f]{16}\n`).MatchString(c.stderr) {
		t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	s := srv.wait(t)
	if !regexp.MustCompile(`trace: connection ID negotiated own=[0-9a-f]{16} peer=""\n`).MatchString(s.stderr) {
		t.Errorf("server stderr:\n%s", s.stderr)
	}
	for _, bad := range []string{"256", "-2"} {
		r := runTool(t, "", "client", "-cid", bad, "-psk", pskHex, "127.0.0.1:1")
		if r.code != 2 || !strings.Contains(r.stderr, "-cid "+bad) {
			t.Errorf("-cid %s: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}

// TestSRTPFlags runs a server and a client with -alpn, -use_srtp,
// -keymatexport and -keylogfile: both print the same negotiation and the
// same keying material, and the key log gets a line per side; bad values
// are usage errors.
func TestSRTPFlags(t *testing.T) {
	f := writePKI(t)
	keylog := t.TempDir() + "/keys.log"
	common := []string{"-use_srtp", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60", "-keylogfile", keylog}
	srv := startServer(t, slices.Concat([]string{"-naccept", "1", "-alpn", "coap,h2", "-cert", f.cert, "-key", f.key}, common)...)
	c := clientLines(t, slices.Concat([]string{"-alpn", "h2,coap", "-CAfile", f.ca, "-wait", "100ms"}, common, []string{"127.0.0.1:" + srv.port}), []string{"media"}, 1)
	s := srv.wait(t)
	keymat := regexp.MustCompile(`KEYMAT (?:\S+ )?EXTRACTOR-dtls_srtp 60 ([0-9A-F]{120})\n`)
	cm, sm := keymat.FindStringSubmatch(c.stderr), keymat.FindStringSubmatch(s.stderr)
	openssl := regexp.MustCompile(`(?m)^Keying material exporter:\n    Label: 'EXTRACTOR-dtls_srtp'\n    Length: 60 bytes\n    Keying material: ([0-9A-F]{120})$`)
	if om := openssl.FindStringSubmatch(c.stderr); om == nil || cm == nil || om[1] != cm[1] {
		t.Errorf("no keying material in OpenSSL's format:\n%s", c.stderr)
	}
	if c.code != 0 || cm == nil || sm == nil || cm[1] != sm[1] {
		t.Fatalf("client exited %d:\n%s\nserver:\n%s", c.code, c.stderr, s.stderr)
	}
	for _, out := range []string{c.stderr, s.stderr} {
		if !regexp.MustCompile(`ALPN (\S+ )?coap\n`).MatchString(out) || !regexp.MustCompile(`SRTP (\S+ )?SRTP_AEAD_AES_128_GCM\n`).MatchString(out) {
			t.Errorf("negotiation not reported:\n%s", out)
		}
	}
	if b, err := os.ReadFile(keylog); err != nil || strings.Count(string(b), "CLIENT_TRAFFIC_SECRET_0 ") != 2 {
		t.Errorf("key log %q, %v", b, err)
	}
	for _, bad := range [][]string{
		{"-use_srtp", "SRTP_BOGUS"},
		{"-keymatexport", "EXTRACTOR-dtls_srtp"},
		{"-keymatexportlen", "60"},
		{"-alpn", "h2,,coap"},
		{"-keylogfile", "/nonexistent/dir/keys"},
	} {
		r := runTool(t, "", slices.Concat([]string{"client", "-psk", pskHex}, bad, []string{"127.0.0.1:1"})...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}
