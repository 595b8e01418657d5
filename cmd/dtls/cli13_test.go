package main

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestVerbose13 runs a default server and client with -v: they settle on
// DTLS 1.3, with the server's cookie in a HelloRetryRequest (RFC 9147,
// Section 5.1) and an ACK of the client's Finished (Section 7), and the
// summary lines name the version and the suite.
func TestVerbose13(t *testing.T) {
	f := writePKI(t)
	srv := startServer(t, "-naccept", "1", "-v", "-cert", f.cert, "-key", f.key)
	c := clientLines(t, []string{"-v", "-CAfile", f.ca, "-wait", "100ms", "127.0.0.1:" + srv.port}, []string{"hi"}, 1)
	s := srv.wait(t)
	if c.code != 0 || c.stdout != "hi\n" {
		t.Fatalf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	for _, want := range []string{
		`trace: HelloRetryRequest received suite=` + default13,
		`trace: negotiated version="DTLS 1.3" suite=` + default13,
		`flight sent flight=\[Finished\]`,
		`trace: handshake complete version="DTLS 1.3" suite=` + default13,
		`trace: ACK received records=1`,
		`CONNECTED 127\.0\.0\.1:` + srv.port + ` DTLSv1\.3 ` + default13 + ` maxpayload \d+`,
	} {
		if !regexp.MustCompile(want).MatchString(c.stderr) {
			t.Errorf("client -v stderr lacks %q:\n%s", want, c.stderr)
		}
	}
	for _, want := range []string{
		`trace: negotiated version="DTLS 1.3" suite=` + default13,
		`flight sent flight="\[ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished\]"`,
		`trace: ACK sent size=\d+`,
		`(?m)^ACCEPT 127\.0\.0\.1:\d+ DTLSv1\.3 ` + default13 + `$`,
	} {
		if !regexp.MustCompile(want).MatchString(s.stderr) {
			t.Errorf("server -v stderr lacks %q:\n%s", want, s.stderr)
		}
	}
}

// TestCipher13 runs a server and a client that name the DTLS 1.3 suites
// with -cipher: they use the client's first choice that the server has.
func TestCipher13(t *testing.T) {
	f := writePKI(t)
	srv := startServer(t, "-naccept", "1", "-cert", f.cert, "-key", f.key,
		"-cipher", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
	c := clientLines(t, []string{"-CAfile", f.ca, "-v", "-cipher", "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_256_GCM_SHA384",
		"-wait", "100ms", "127.0.0.1:" + srv.port}, []string{"suite"}, 1)
	s := srv.wait(t)
	if c.code != 0 || c.stdout != "suite\n" || !strings.Contains(c.stderr, " DTLSv1.3 TLS_AES_256_GCM_SHA384 ") {
		t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	if !strings.Contains(s.stderr, " DTLSv1.3 TLS_AES_256_GCM_SHA384\n") {
		t.Errorf("server stderr:\n%s", s.stderr)
	}
}

// TestVersionMismatch runs a -dtls1_3 client against a -dtls1_2 server,
// with and without the cookie exchange, and a -dtls1_2 client against a
// -dtls1_3 server: the client exits 1 with one line that says the
// handshake failed.
func TestVersionMismatch(t *testing.T) {
	tests := []struct {
		name           string
		server, client []string
		serverFail     string // the server's FAIL line, if it gets that far
	}{
		// The server answers with a HelloVerifyRequest, which ends the
		// handshake of a client that speaks only DTLS 1.3: it keeps no
		// state, so it says nothing.
		{"1.3 client, 1.2 server", []string{"-dtls1_2"}, []string{"-dtls1_3"}, ""},
		{"1.3 client, 1.2 server -no_cookie", []string{"-dtls1_2", "-no_cookie"}, []string{"-dtls1_3"}, "FAIL 127.0.0.1:"},
		{"1.2 client, 1.3 server", []string{"-dtls1_3"}, []string{"-dtls1_2"}, "FAIL 127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, append(tt.server, "-psk", pskHex)...)
			c := clientLines(t, append(tt.client, "-psk", pskHex, "-timeout", "5s", "127.0.0.1:"+srv.port), nil, 0)
			want := "dtls client: handshake with 127.0.0.1:" + srv.port + " failed: "
			if c.code != 1 || strings.Count(c.stderr, "\n") != 1 || !strings.HasPrefix(c.stderr, want) {
				t.Errorf("client exited %d with stderr %q; want 1 and one line %q...", c.code, c.stderr, want)
			}
			if tt.serverFail != "" {
				srv.await(t, tt.serverFail)
			}
		})
	}
}

// TestKeyUpdate runs a DTLS 1.3 association where both sides send a
// KeyUpdate every second: -v shows each side's KeyUpdate, the peer's
// answer, the ACKs and the new epochs, both sides print KEYUPDATE lines,
// and data still flows in the new epochs.
func TestKeyUpdate(t *testing.T) {
	srv := startServer(t, "-naccept", "1", "-v", "-keyupdate", "1", "-psk", pskHex)
	cmd := exec.Command(binary, "client", "-v", "-keyupdate", "1", "-psk", pskHex, "-wait", "100ms", "127.0.0.1:"+srv.port)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer kill.Stop()
	stderrLines := make(chan string, 1000)
	var stderr strings.Builder
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			select {
			case stderrLines <- sc.Text():
			default:
			}
		}
	}()
	echoes := bufio.NewScanner(stdout)
	echo := func(line string) {
		t.Helper()
		io.WriteString(stdin, line+"\n")
		if !echoes.Scan() || echoes.Text() != line {
			t.Fatalf("echo of %q: %q", line, echoes.Text())
		}
	}
	echo("before")
	// The client sends with new keys once the server has acknowledged its
	// KeyUpdate, and receives with new keys once the server has answered
	// the request with its own.
	awaitLines(t, stderrLines, "KEYUPDATE ", "trace: keys updated ", "trace: KeyUpdate received request_update=false")
	echo("after")
	stdin.Close()
	for echoes.Scan() {
	}
	<-stderrDone
	if err := cmd.Wait(); err != nil {
		t.Errorf("client: %v\n%s", err, stderr.String())
	}
	s := srv.wait(t)
	client := stderr.String()
	for _, want := range []string{
		"CONNECTED 127.0.0.1:" + srv.port + " DTLSv1.3 ",
		"trace: KeyUpdate sent request_update=true\n",
		"KEYUPDATE 127.0.0.1:" + srv.port + " sent, update requested\n",
		"trace: KeyUpdate received request_update=false\n",
		"trace: ACK received records=1\n",
		"trace: keys updated epoch=4\n",
	} {
		if !strings.Contains(client, want) {
			t.Errorf("client stderr lacks %q:\n%s", want, client)
		}
	}
	for _, want := range []string{
		`trace: KeyUpdate received request_update=true\n`,
		`trace: KeyUpdate sent request_update=false\n`,
		`trace: ACK sent size=\d+\n`,
		`trace: keys updated epoch=4\n`,
		`KEYUPDATE 127\.0\.0\.1:\d+ sent, update requested\n`,
	} {
		if !regexp.MustCompile(want).MatchString(s.stderr) {
			t.Errorf("server stderr lacks %q:\n%s", want, s.stderr)
		}
	}
}

// TestKeyUpdate12 runs -keyupdate on a DTLS 1.2 association, each side in
// turn against a peer that speaks DTLS 1.2 only: the side with -keyupdate
// says once that KeyUpdate needs DTLS 1.3, and the association goes on.
func TestKeyUpdate12(t *testing.T) {
	const why = " not sent: KeyUpdate needs DTLS 1.3, and this association is DTLSv1.2\n"
	t.Run("client", func(t *testing.T) {
		srv := startServer(t, "-naccept", "1", "-dtls1_2", "-psk", pskHex)
		c := clientLines(t, []string{"-keyupdate", "0.1", "-psk", pskHex, "-wait", "300ms", "127.0.0.1:" + srv.port}, []string{"on 1.2"}, 1)
		srv.wait(t)
		if c.code != 0 || c.stdout != "on 1.2\n" || c.stderr != "KEYUPDATE 127.0.0.1:"+srv.port+why {
			t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
		}
	})
	t.Run("server", func(t *testing.T) {
		srv := startServer(t, "-naccept", "1", "-keyupdate", "0.1", "-psk", pskHex)
		c := clientLines(t, []string{"-dtls1_2", "-psk", pskHex, "-wait", "300ms", "127.0.0.1:" + srv.port}, []string{"on 1.2"}, 1)
		s := srv.wait(t)
		if c.code != 0 || c.stdout != "on 1.2\n" {
			t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
		}
		if s.code != 0 || strings.Count(s.stderr, "KEYUPDATE") != 1 || !strings.Contains(s.stderr, why) {
			t.Errorf("server exited %d with stderr:\n%s", s.code, s.stderr)
		}
	})
}

// TestRenegotiate13 runs a server with -renegotiate against a DTLS 1.3
// client: it says once that DTLS 1.3 has none, and the association goes
// on.
func TestRenegotiate13(t *testing.T) {
	srv := startServer(t, "-naccept", "1", "-renegotiate", "100ms", "-psk", pskHex)
	c := clientLines(t, []string{"-renegotiate", "-psk", pskHex, "-wait", "300ms", "127.0.0.1:" + srv.port}, []string{"on 1.3"}, 1)
	s := srv.wait(t)
	if c.code != 0 || c.stdout != "on 1.3\n" {
		t.Errorf("client exited %d, printed %q\nstderr: %s", c.code, c.stdout, c.stderr)
	}
	if n := strings.Count(s.stderr, "RENEGOTIATE "); n != 1 || !strings.Contains(s.stderr, " not asked: DTLS 1.3 has no renegotiation") {
		t.Errorf("server stderr:\n%s", s.stderr)
	}
}
