package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
)

// The tests of probe -dtls with DTLS 1.3 (RFC 9147), where a probe is a
// KeyUpdate padded to the size under test, which the server acknowledges
// (RFC 9147 §7 and §8): no heartbeats are needed of the server.

// runDTLSJSON runs "pmtu probe -dtls -json args..." and parses its
// output.
func runDTLSJSON(t *testing.T, args ...string) (code int, r result, stderr string) {
	t.Helper()
	code, stdout, stderr := runCmd(append([]string{"probe", "-dtls", "-json"}, args...)...)
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("exit status %d, output %q is not JSON: %v; stderr %q", code, stdout, err, stderr)
	}
	t.Logf("exit status %d: %+v; stderr %q", code, r, strings.TrimSpace(stderr))
	return code, r, stderr
}

func TestProbeDTLS13Loopback(t *testing.T) {
	server := startDTLSServer(t, "127.0.0.1", dtls.VersionDTLS13, false)
	t.Run("json", func(t *testing.T) {
		// DTLS 1.2 is offered too, but 1.3 is preferred.
		code, r, _ := runDTLSJSON(t, "-psk", testPSKHex, "-max", "1500", server.String())
		if code != exitOK || r.Error != "" || r.PathMTU != 1500 || r.MaxUDPPayload != 1472 {
			t.Fatalf("exit status %d, result %+v; want 0 and path MTU 1500", code, r)
		}
		if r.Version != "DTLSv1.3" || !strings.HasPrefix(r.CipherSuite, "TLS_AES_") || r.ProbeMethod != probeKeyUpdate {
			t.Errorf("version %q, suite %q, probe method %q; want DTLSv1.3, a DTLS 1.3 suite and KeyUpdates", r.Version, r.CipherSuite, r.ProbeMethod)
		}
		if r.ProbeCount == 0 || r.ProbesAcked == 0 || r.ICMPSeen {
			t.Errorf("probes %d, acknowledged %d, ICMP seen %v; want probes acknowledged, no ICMP", r.ProbeCount, r.ProbesAcked, r.ICMPSeen)
		}
		// A 16-byte header at most, a content type and a 16-byte tag.
		if r.MaxDTLSPayload <= 0 || r.MaxDTLSPayload > r.MaxUDPPayload-17 {
			t.Errorf("largest DTLS payload %d; want at most %d", r.MaxDTLSPayload, r.MaxUDPPayload-17)
		}
	})
	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := runCmd("probe", "-dtls", "-dtls1_3", "-psk", testPSKHex, "-max", "1400", server.String())
		want := server.String() + ": path MTU 1400, largest UDP payload 1372, largest DTLS payload "
		if code != exitOK || !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "(DTLSv1.3, TLS_AES_") ||
			!strings.Contains(stdout, " probes by KeyUpdate (DTLS 1.3) in ") || !strings.HasSuffix(stdout, "; no ICMP too-big seen\n") {
			t.Errorf("exit status %d, stdout %q, stderr %q; want 0 and %q...", code, stdout, stderr, want)
		}
	})
}

// TestProbeDTLSBlackHole finds the path MTU through a relay that silently
// drops the datagrams of IP packets above 1400 bytes in both directions,
// as a black hole does: no ICMP, only the server's answers. In DTLS 1.3
// the padded KeyUpdates find it, in DTLS 1.2 the padded heartbeats.
func TestProbeDTLSBlackHole(t *testing.T) {
	tests := []struct {
		name       string
		maxVersion uint16
		version    string
		method     string
	}{
		{"dtls1.3", dtls.VersionDTLS13, "DTLSv1.3", probeKeyUpdate},
		{"dtls1.2", dtls.VersionDTLS12, "DTLSv1.2", probeHeartbeat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := startDTLSServer(t, "127.0.0.1", tt.maxVersion, false)
			relay := startBlackHole(t, server, 1400)
			code, r, stderr := runDTLSJSON(t, "-psk", testPSKHex, "-max", "1500", "-timeout", "250ms", relay.String())
			if code != exitOK || r.Error != "" || r.PathMTU != 1400 || r.MaxUDPPayload != 1372 {
				t.Fatalf("exit status %d, result %+v, stderr %q; want 0 and path MTU 1400", code, r, stderr)
			}
			if r.Version != tt.version || r.ProbeMethod != tt.method {
				t.Errorf("version %q, probe method %q; want %q and %q", r.Version, r.ProbeMethod, tt.version, tt.method)
			}
			if r.ProbesAcked == 0 || r.ProbesLost == 0 || r.ICMPSeen {
				t.Errorf("%d probes acknowledged, %d lost, ICMP seen %v; want some of each, and no ICMP", r.ProbesAcked, r.ProbesLost, r.ICMPSeen)
			}
		})
	}
}

// TestProbeDTLSVersionRefused runs -dtls1_2 against a server that speaks
// only DTLS 1.3: the handshake fails, and the message says that the
// version flag is why.
func TestProbeDTLSVersionRefused(t *testing.T) {
	server := startDTLSServer(t, "127.0.0.1", dtls.VersionDTLS13, true)
	code, r, stderr := runDTLSJSON(t, "-dtls1_2", "-psk", testPSKHex, "-deadline", "5s", server.String())
	want := "DTLS handshake failed: "
	hint := "the server refused the version -dtls1_2 asks for: drop -dtls1_2 to offer DTLS 1.3 too"
	if code != exitFail || !strings.Contains(stderr, want) || !strings.Contains(stderr, hint) || !strings.Contains(r.Error, hint) {
		t.Errorf("exit status %d, stderr %q; want 1, %q and %q", code, stderr, want, hint)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q; want one line", stderr)
	}
	// Without the flag, the same server is probed.
	code, r, _ = runDTLSJSON(t, "-psk", testPSKHex, "-max", "1400", server.String())
	if code != exitOK || r.Version != "DTLSv1.3" || r.PathMTU != 1400 {
		t.Errorf("exit status %d, %+v; want 0, DTLSv1.3 and path MTU 1400", code, r)
	}
}

func TestVersionHint(t *testing.T) {
	refused := &dtls.AlertError{Alert: dtls.AlertProtocolVersion}
	tests := []struct {
		o    dtlsOptions
		err  error
		want string // in the hint; "" for none
	}{
		{dtlsOptions{dtls12: true}, refused, "-dtls1_2 asks for"},
		{dtlsOptions{dtls1: true}, refused, "-dtls1 asks for"},
		{dtlsOptions{}, refused, ""},
		{dtlsOptions{dtls13: true}, refused, ""},
		{dtlsOptions{dtls12: true}, errors.New("dtls: handshake failure"), ""},
	}
	for _, tt := range tests {
		got := versionHint(tt.err, &tt.o)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("versionHint(%v, %+v) = %q; want %q", tt.err, tt.o, got, tt.want)
		}
	}
}

// startBlackHole runs, until the test ends, a relay on the loopback
// address that forwards the datagrams of one client to server and the
// server's back, dropping those whose IPv4 packet would exceed mtu bytes:
// a path through a black hole, which sends no ICMP. It returns the address
// to probe.
func startBlackHole(t *testing.T, server netip.AddrPort, mtu int) netip.AddrPort {
	t.Helper()
	front, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		front.Close()
		t.Fatal(err)
	}
	const ipv4UDP = 28 // the IPv4 and UDP headers
	var (
		mu     sync.Mutex
		client netip.AddrPort
		wg     sync.WaitGroup
	)
	wg.Add(2)
	go func() { // client to server
		defer wg.Done()
		b := make([]byte, 1<<16)
		for {
			n, from, err := front.ReadFromUDPAddrPort(b)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil || n+ipv4UDP > mtu {
				continue
			}
			mu.Lock()
			client = from
			mu.Unlock()
			_, _ = back.Write(b[:n]) // a datagram the relay cannot send is lost
		}
	}()
	go func() { // server to client
		defer wg.Done()
		b := make([]byte, 1<<16)
		for {
			n, err := back.Read(b)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			mu.Lock()
			to := client
			mu.Unlock()
			if err != nil || n+ipv4UDP > mtu || !to.IsValid() {
				continue
			}
			_, _ = front.WriteToUDPAddrPort(b[:n], to)
		}
	}()
	t.Cleanup(func() {
		front.Close()
		back.Close()
		wg.Wait()
	})
	return front.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TestProbeDTLSNoHeartbeat runs probe -dtls against openssl s_server, an
// interop peer that speaks DTLS 1.2 at most and does not accept heartbeat
// requests: DTLS 1.3 is offered but not chosen, so the path cannot be
// probed, and the message says why and what would help.
func TestProbeDTLSNoHeartbeat(t *testing.T) {
	server := startOpenSSLServer(t)
	tests := []struct {
		name string
		args []string
		hint string
	}{
		{"default", nil, "the server does not speak DTLS 1.3, whose probes (KeyUpdates) need no heartbeats"},
		{"dtls1_2", []string{"-dtls1_2"}, "drop -dtls1_2 to offer DTLS 1.3, whose probes (KeyUpdates) need no heartbeats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "-psk", testPSKHex, "-deadline", "10s", server.String())
			code, r, stderr := runDTLSJSON(t, args...)
			for _, want := range []string{errNoHeartbeat.Error(), tt.hint, "; the path MTU after the handshake is "} {
				if code != exitFail || !strings.Contains(stderr, want) || !strings.Contains(r.Error, want) {
					t.Errorf("exit status %d, stderr %q; want 1 and %q", code, stderr, want)
				}
			}
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q; want one line", stderr)
			}
			if r.Version != "DTLSv1.2" || r.ProbeMethod != "" || r.ProbeCount != 0 || r.PathMTU != 0 {
				t.Errorf("%+v; want DTLSv1.2, no probe method, no probes and no path MTU", r)
			}
		})
	}
}

// startOpenSSLServer runs "openssl s_server" for DTLS 1.2 with testPSK on
// a loopback port until the test ends, and returns its address. It serves
// one association after another; it ends when its standard input closes.
func startOpenSSLServer(t *testing.T) netip.AddrPort {
	t.Helper()
	path := testenv.LookPath(t, "openssl")
	addr := closedPort(t, "127.0.0.1")
	cmd := exec.Command(path, "s_server", "-dtls1_2", "-accept", addr.String(), "-nocert",
		"-psk", testPSKHex, "-psk_identity", defaultPSKIdentity)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill() // it may have gone already
		_ = cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		said := false
		for s.Scan() {
			if !said && s.Text() == "ACCEPT" {
				said = true
				ready <- true
			}
		}
		if !said {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("openssl s_server exited before it listened")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("openssl s_server did not listen within 10s")
	}
	return addr
}
