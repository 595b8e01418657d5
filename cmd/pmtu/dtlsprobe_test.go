package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/transport"
)

// testPSK is the key of the test servers, and testPSKHex the -psk flag
// for it.
var (
	testPSK    = []byte("pmtu probe -dtls test key")
	testPSKHex = hex.EncodeToString(testPSK)
)

// startDTLSServer runs a DTLS server with testPSK on addr until the test
// ends, speaking the versions from DTLS 1.0 up to maxVersion, or only DTLS
// 1.3 if maxVersion is dtls.VersionDTLS13 and only13 is set. Each
// association is read until it ends, as an application does; the engine
// answers heartbeats and acknowledges KeyUpdates without the reads.
func startDTLSServer(t *testing.T, addr string, maxVersion uint16, only13 bool) netip.AddrPort {
	t.Helper()
	config := &dtls.Config{
		PSK:             func([]byte) ([]byte, error) { return testPSK, nil },
		PSKIdentityHint: []byte("test hint"),
		MinVersion:      dtls.VersionDTLS10,
		MaxVersion:      maxVersion,
	}
	if only13 {
		config.MinVersion = dtls.VersionDTLS13
	}
	l, err := transport.Listen("udp", net.JoinHostPort(addr, "0"), config)
	if err != nil {
		testenv.SkipOrFail(t, "no %s: %v", addr, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 1<<16)
				for {
					if _, err := c.Read(buf); err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close() // closes the associations too
		<-done
	})
	return netip.MustParseAddrPort(l.Addr().String())
}

func TestProbeDTLSLoopback(t *testing.T) {
	server := startDTLSServer(t, "127.0.0.1", dtls.VersionDTLS12, false)
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runCmd("probe", "-dtls", "-psk", testPSKHex, "-max", "1500", "-json", server.String())
		var r result
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("exit status %d, output %q, %v; stderr %q", code, stdout, err, stderr)
		}
		t.Logf("%+v", r)
		if code != exitOK || r.Error != "" || r.Mode != modeDTLS || r.PathMTU != 1500 || r.MaxUDPPayload != 1472 {
			t.Fatalf("exit status %d, result %+v, stderr %q; want 0 and path MTU 1500", code, r, stderr)
		}
		if r.MaxDTLSPayload <= 0 || r.MaxDTLSPayload >= r.MaxUDPPayload-13 {
			t.Errorf("largest DTLS payload %d; want below %d, the UDP payload less a record header", r.MaxDTLSPayload, r.MaxUDPPayload-13)
		}
		if r.ProbeCount == 0 || r.ProbesAcked == 0 || r.ProbeCount < r.ProbesAcked+r.ProbesLost || r.ICMPSeen {
			t.Errorf("probes %d, acknowledged %d, lost %d, ICMP seen %v; want probes acknowledged, no ICMP", r.ProbeCount, r.ProbesAcked, r.ProbesLost, r.ICMPSeen)
		}
		// DTLS 1.3 is offered too, but this server speaks 1.2 at most.
		if r.Version != "DTLSv1.2" || !strings.Contains(r.CipherSuite, "PSK") || r.ProbeMethod != probeHeartbeat || r.Probes == nil {
			t.Errorf("version %q, suite %q, probe method %q, probes %v; want DTLSv1.2, a PSK suite, heartbeats and an empty list",
				r.Version, r.CipherSuite, r.ProbeMethod, r.Probes)
		}
	})
	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := runCmd("probe", "-dtls", "-dtls1", "-psk", testPSKHex, "-max", "1400", "-v", server.String())
		want := server.String() + ": path MTU 1400, largest UDP payload 1372, largest DTLS payload "
		if code != exitOK || !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "(DTLSv1.0, ") ||
			!strings.Contains(stdout, " probes by heartbeat in ") || !strings.HasSuffix(stdout, "; no ICMP too-big seen\n") {
			t.Errorf("exit status %d, stdout %q; want 0 and %q...", code, stdout, want)
		}
		if !strings.Contains(stderr, "probe acknowledged peer="+server.String()) {
			t.Errorf("stderr %q lacks the trace of the probes", stderr)
		}
	})
}

func TestProbeDTLSFailures(t *testing.T) {
	server := startDTLSServer(t, "127.0.0.1", dtls.VersionDTLS12, false)
	closed := closedPort(t, "127.0.0.1")
	silent := silentPort(t, "127.0.0.1")
	tests := []struct {
		name string
		args []string
		want string // in the message on standard error
	}{
		// The server cannot decrypt the client's Finished, and discards it.
		{"wrong key", []string{"-psk", "00112233", "-deadline", "1s", server.String()}, "DTLS handshake failed: no result within -deadline 1s"},
		// Without a PSK only certificate suites are offered, which the
		// server cannot use.
		{"no key", []string{server.String()}, "DTLS handshake failed"},
		// The transport does not end a handshake on a port unreachable,
		// which anyone can forge, but names it when the handshake fails:
		// the first attempt, of firstAttempt, ends the search well before
		// the default -deadline of a minute.
		{"closed port", []string{"-psk", testPSKHex, closed.String()},
			"DTLS handshake failed: nothing listens on UDP port " + strconv.Itoa(int(closed.Port())) + " of 127.0.0.1: 127.0.0.1 answered the ClientHello with an ICMP port unreachable"},
		{"silent", []string{"-psk", testPSKHex, "-deadline", "300ms", silent.String()}, "DTLS handshake failed: no result within -deadline 300ms"},
		// Without a port unreachable, a second handshake gets the rest of
		// -deadline.
		{"silent past the first attempt", []string{"-psk", testPSKHex, "-v", "-deadline", (firstAttempt + 300*time.Millisecond).String(), silent.String()},
			"handshake restarted reason=\"no handshake within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := runCmd(append([]string{"probe", "-dtls", "-json"}, tt.args...)...)
			took := time.Since(start)
			t.Logf("exit status %d after %v: %s", code, took.Round(time.Millisecond), strings.TrimSpace(stderr))
			var r result
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("output %q is not JSON: %v", stdout, err)
			}
			if code != exitFail || !strings.Contains(stderr, tt.want) || r.Error == "" || r.PathMTU != 0 {
				t.Errorf("exit status %d, stderr %q, result %+v; want 1 and %q", code, stderr, r, tt.want)
			}
			if took > defaultDeadline/2 {
				t.Errorf("took %v; want far less than the default -deadline, %v", took, defaultDeadline)
			}
		})
	}
}

// silentPort returns an address on addr where a socket is open until the
// test ends, and never read.
func silentPort(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestDTLSOptionsCheck(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the usage error; "" for none
	}{
		{[]string{"-dtls"}, ""},
		{[]string{"-dtls", "-dtls1", "-psk", "00", "-psk_identity", "me", "-insecure", "-servername", "x", "-max", "1400", "-timeout", "2s"}, ""},
		{[]string{"-psk", "00"}, "-psk needs -dtls"},
		{[]string{"-psk_identity", "me"}, "-psk_identity needs -dtls"},
		{[]string{"-dtls", "-dtls1_3"}, ""},
		{[]string{"-dtls", "-dtls1_2"}, ""},
		{[]string{"-dtls1"}, "-dtls1 needs -dtls"},
		{[]string{"-dtls1_2"}, "-dtls1_2 needs -dtls"},
		{[]string{"-dtls1_3"}, "-dtls1_3 needs -dtls"},
		{[]string{"-dtls", "-dtls1", "-dtls1_2"}, "-dtls1 and -dtls1_2 are mutually exclusive"},
		{[]string{"-dtls", "-dtls1_2", "-dtls1_3"}, "-dtls1_2 and -dtls1_3 are mutually exclusive"},
		{[]string{"-dtls", "-dtls1_3", "-dtls1"}, "-dtls1 and -dtls1_3 are mutually exclusive"},
		{[]string{"-dtls", "-dtls1", "-dtls1_2", "-dtls1_3"}, "-dtls1, -dtls1_2 and -dtls1_3 are mutually exclusive"},
		{[]string{"-CAfile", "ca.pem"}, "-CAfile needs -dtls"},
		{[]string{"-insecure"}, "-insecure needs -dtls"},
		{[]string{"-dtls", "-psk", "0g"}, "not a non-empty hex string"},
		{[]string{"-dtls", "-echo"}, "exclude"},
		{[]string{"-dtls", "-icmp", "raw"}, "-icmp does not apply"},
		{[]string{"-dtls", "-min", "1280"}, "-min does not apply"},
		{[]string{"-dtls", "-probes", "5"}, "-probes does not apply"},
	}
	for _, tt := range tests {
		// The flags that pass run a handshake, which -deadline bounds.
		args := append([]string{"probe", "-deadline", "1s"}, tt.args...)
		code, _, stderr := runCmd(append(args, "192.0.2.1:4433")...)
		switch {
		case tt.want == "" && code == exitUsage:
			t.Errorf("pmtu probe %q: usage error %q; want none", tt.args, stderr)
		case tt.want != "" && (code != exitUsage || !strings.Contains(stderr, tt.want)):
			t.Errorf("pmtu probe %q: exit status %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
}

func TestDTLSOptionsConfig(t *testing.T) {
	tests := []struct {
		name   string
		o      dtlsOptions
		host   string
		check  func(*dtls.Config) bool
		errMsg string // in the error; "" for none
	}{
		{name: "defaults", host: "example.com", check: func(c *dtls.Config) bool {
			return c.ServerName == "example.com" && c.MinVersion == dtls.VersionDTLS12 && c.MaxVersion == dtls.VersionDTLS13 && c.PSK == nil
		}},
		{name: "dtls1_2", o: dtlsOptions{dtls12: true}, check: func(c *dtls.Config) bool {
			return c.MinVersion == dtls.VersionDTLS12 && c.MaxVersion == dtls.VersionDTLS12
		}},
		{name: "dtls1_3", o: dtlsOptions{dtls13: true}, check: func(c *dtls.Config) bool {
			return c.MinVersion == dtls.VersionDTLS13 && c.MaxVersion == dtls.VersionDTLS13
		}},
		{name: "IPv6 with zone", host: "fe80::1%eth0", check: func(c *dtls.Config) bool { return c.ServerName == "fe80::1" }},
		{name: "servername", o: dtlsOptions{serverName: "name"}, host: "198.18.1.2", check: func(c *dtls.Config) bool { return c.ServerName == "name" }},
		{name: "dtls1", o: dtlsOptions{dtls1: true}, check: func(c *dtls.Config) bool {
			return c.MinVersion == dtls.VersionDTLS10 && c.MaxVersion == dtls.VersionDTLS10
		}},
		{name: "psk", o: dtlsOptions{pskHex: "0a0b", pskIdentity: "me"}, check: func(c *dtls.Config) bool {
			key, err := c.PSK([]byte("any hint"))
			return err == nil && string(key) == "\x0a\x0b" && string(c.PSKIdentity) == "me"
		}},
		{name: "psk identity default", o: dtlsOptions{pskHex: "0a0b"}, check: func(c *dtls.Config) bool {
			return string(c.PSKIdentity) == defaultPSKIdentity
		}},
		{name: "insecure", o: dtlsOptions{insecure: true}, check: func(c *dtls.Config) bool { return c.InsecureSkipVerify }},
		{name: "bad psk", o: dtlsOptions{pskHex: "xyz"}, errMsg: "not a non-empty hex string"},
		{name: "key without cert", o: dtlsOptions{keyFile: "k.pem"}, errMsg: "-key needs -cert"},
		{name: "missing cert", o: dtlsOptions{certFile: "/nonexistent/c.pem"}, errMsg: "loading -cert"},
		{name: "missing CAfile", o: dtlsOptions{caFile: "/nonexistent/ca.pem"}, errMsg: "no such file"},
	}
	for _, tt := range tests {
		c, err := tt.o.config(tt.host, nil)
		switch {
		case tt.errMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.errMsg)):
			t.Errorf("%s: config() error %v; want one containing %q", tt.name, err, tt.errMsg)
		case tt.errMsg == "" && err != nil:
			t.Errorf("%s: config() error %v", tt.name, err)
		case tt.errMsg == "" && !tt.check(c):
			t.Errorf("%s: config() = %+v", tt.name, c)
		}
	}
}

func TestContextError(t *testing.T) {
	o := &probeOptions{deadline: 5 * time.Second}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	other := errors.New("dtls: handshake failure")
	tests := []struct {
		err  error
		ctx  context.Context
		want string
	}{
		{nil, context.Background(), ""},
		{other, context.Background(), other.Error()},
		{other, canceled, "interrupted"},
		{context.DeadlineExceeded, context.Background(), "no result within -deadline 5s"},
		{other, expired, "no result within -deadline 5s"},
	}
	for _, tt := range tests {
		got := contextError(tt.ctx, tt.err, o)
		if tt.want == "" && got != nil || tt.want != "" && (got == nil || got.Error() != tt.want) {
			t.Errorf("contextError(%v) = %v; want %q", tt.err, got, tt.want)
		}
	}
}
