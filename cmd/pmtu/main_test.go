package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// runCmd runs the command line args in process.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &env{stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in the output
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"help"}, exitOK, "pmtu probe"},
		{[]string{"trace"}, exitUsage, `unknown command "trace"`},
		{[]string{"probe"}, exitUsage, "one HOST[:PORT] expected"},
		{[]string{"probe", "-h"}, exitOK, "-echo"},
		{[]string{"probe", "-nosuchflag", "host"}, exitUsage, "not defined"},
		{[]string{"probe", "-4", "-6", "host"}, exitUsage, "exclude"},
		{[]string{"probe", "-icmp", "none", "host"}, exitUsage, "needs -echo"},
		{[]string{"probe", "a", "b"}, exitUsage, "one HOST[:PORT] expected"},
		{[]string{"probe", "host:"}, exitUsage, "missing port"},
		{[]string{"probe", "-4", "::1"}, exitFail, "not an address of the family"},
		{[]string{"probe", "-min", "10", "127.0.0.1"}, exitUsage, "pmtu probe: -min 10 is below 68, the smallest MTU an IPv4 link may have\n"},
		{[]string{"probe", "-max", "70000", "127.0.0.1"}, exitUsage, "pmtu probe: -max 70000 is above 65535"},
		{[]string{"probe", "-min", "576", "::1"}, exitUsage, "pmtu probe: -min 576 is below 1280, the smallest MTU an IPv6 link may have\n"},
		{[]string{"probe", "-dtls", "-max", "1000", "[::1]:4433"}, exitUsage, "pmtu probe: -max 1000 is below 1280"},
		{[]string{"echo", "-h"}, exitOK, "RFC 862"},
		{[]string{"echo", "a", "b"}, exitUsage, "one address expected"},
		{[]string{"echo", "127.0.0.1:99999"}, exitFail, "pmtu echo:"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCmd(tt.args...)
		if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
			t.Errorf("pmtu %q: exit status %d, output %q; want %d and %q", tt.args, code, stdout+stderr, tt.code, tt.want)
		}
	}
}

// TestProbeLoopback runs the probe command in process against an echo
// service and, where ICMP can be read, a closed port on the loopback
// interface, whose path MTU is -max.
func TestProbeLoopback(t *testing.T) {
	echo := startTestEcho(t, "127.0.0.1")
	closed := closedPort(t, "127.0.0.1")
	tests := []struct {
		name string
		args []string
	}{
		{"echo", []string{"-echo", "-max", "1500", echo.String()}},
		{"echo/no-icmp", []string{"-echo", "-icmp", "none", "-max", "1500", echo.String()}},
		{"closed-port", []string{"-max", "1500", closed.String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(append([]string{"probe", "-json"}, tt.args...)...)
			if code != exitOK && strings.Contains(stderr, "no ICMP source") {
				testenv.SkipOrFail(t, "%s", stderr)
			}
			var r result
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("exit status %d, output %q, %v", code, stdout, err)
			}
			if code != exitOK || r.PathMTU != 1500 || r.MaxUDPPayload != 1472 || r.ICMPSeen || r.ProbeCount != len(r.Probes) {
				t.Errorf("exit status %d, result %+v, stderr %q; want 0 and path MTU 1500", code, r, stderr)
			}
		})
	}
	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := runCmd("probe", "-echo", "-max", "1500", "-v", echo.String())
		want := echo.String() + ": path MTU 1500, largest UDP payload 1472; 2 probes in "
		if code != exitOK || !strings.HasPrefix(stdout, want) || !strings.HasSuffix(stdout, "; no ICMP too-big seen\n") {
			t.Errorf("exit status %d, stdout %q; want 0 and %q...", code, stdout, want)
		}
		if !strings.Contains(stderr, "probe 2: 1500 bytes: reached the host") {
			t.Errorf("stderr %q lacks the verbose probe lines", stderr)
		}
	})
}
