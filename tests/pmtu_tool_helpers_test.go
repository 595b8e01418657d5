//go:build linux

package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// toolDeadline is the -deadline every run of the pmtu tool gets: it bounds
// a run that goes wrong, and is never reached by one that works.
const toolDeadline = "30s"

// toolResult is the JSON object that "pmtu probe -json" prints.
type toolResult struct {
	Address       string      `json:"address"`
	Mode          string      `json:"mode"`
	ICMPSource    string      `json:"icmp_source"`
	PathMTU       int         `json:"path_mtu"`
	MaxUDPPayload int         `json:"max_udp_payload"`
	ProbeCount    int         `json:"probe_count"`
	DurationMS    float64     `json:"duration_ms"`
	ICMPSeen      bool        `json:"icmp_seen"`
	ICMPRejected  uint64      `json:"icmp_rejected"`
	Error         string      `json:"error"`
	Probes        []toolProbe `json:"probes"`
}

// toolProbe is one probe in a toolResult.
type toolProbe struct {
	Seq    uint32  `json:"seq"`
	Size   int     `json:"size"`
	AtMS   float64 `json:"at_ms"`
	Result string  `json:"result"`
	RTTMS  float64 `json:"rtt_ms"`
	Hint   int     `json:"hint"`
	From   string  `json:"from"`
}

// String lists the probes as size:result pairs, with the MTU a router
// reported in parentheses, for failure messages.
func (r *toolResult) String() string {
	var b strings.Builder
	for _, p := range r.Probes {
		fmt.Fprintf(&b, " %d:%s", p.Size, p.Result)
		if p.Hint != 0 {
			fmt.Fprintf(&b, "(%d)", p.Hint)
		}
	}
	return strings.TrimSpace(b.String())
}

// buildTool builds the pmtu command into a directory that lives as long as
// t, and returns its path.
func buildTool(t *testing.T) string {
	t.Helper()
	gotool := testenv.LookPath(t, "go")
	bin := filepath.Join(t.TempDir(), "pmtu")
	out, err := exec.Command(gotool, "build", "-o", bin, "github.com/pathdtls/pathdtls/cmd/pmtu").CombinedOutput()
	if err != nil {
		t.Fatalf("building the pmtu command: %v\n%s", err, out)
	}
	return bin
}

// toolRun is the outcome of one run of the pmtu tool.
type toolRun struct {
	res    toolResult
	stdout string
	stderr string
	code   int           // exit status
	wall   time.Duration // as the test saw it, process start included
	sent   int64         // UDP datagrams the client namespace sent meanwhile
}

// runTool runs "pmtu probe -json -deadline toolDeadline args..." in ns and
// parses its output.
func runTool(t *testing.T, ns *netns.Namespace, bin, network string, args ...string) toolRun {
	t.Helper()
	args = append([]string{"probe", "-json", "-deadline", toolDeadline}, args...)
	cmd := ns.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := udpOut(t, ns, network)
	start := time.Now()
	err := cmd.Run()
	r := toolRun{stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(start)}
	r.sent = udpOut(t, ns, network) - before
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running pmtu %s: %v", strings.Join(args, " "), err)
	}
	if r.stdout != "" {
		if err := json.Unmarshal(stdout.Bytes(), &r.res); err != nil {
			t.Fatalf("pmtu %s: output is not JSON (%v): %q", strings.Join(args, " "), err, r.stdout)
		}
	}
	return r
}

// udpOut returns the number of UDP datagrams ns has sent over network
// ("udp4" or "udp6").
func udpOut(t *testing.T, ns *netns.Namespace, network string) int64 {
	t.Helper()
	if network == "udp6" {
		return ns.Stats(t)["Udp6OutDatagrams"]
	}
	return ns.Stats(t)["UdpOutDatagrams"]
}

// startEcho runs "pmtu echo addr" in ns until the test ends, and waits until
// it serves.
func startEcho(t *testing.T, ns *netns.Namespace, bin string, addr netip.AddrPort) {
	t.Helper()
	startServing(t, ns, bin, []string{"echo", addr.String()}, func(line string) bool {
		return strings.Contains(line, "serving")
	})
}

// startServing runs bin with args in ns until the test ends, and waits for
// the first line of its standard error, which ready must accept; the rest
// of its standard error is discarded.
func startServing(t *testing.T, ns *netns.Namespace, bin string, args []string, ready func(line string) bool) {
	t.Helper()
	cmd := ns.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // the process this test started, by its ID
		_ = cmd.Wait()
	})
	lines := bufio.NewReader(stderr)
	line, err := lines.ReadString('\n')
	if err != nil || !ready(line) {
		t.Fatalf("%s %v: %q, %v", bin, args, line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()
}
