//go:build linux

package tests

import (
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// dtlsToolResult is the JSON object that "pmtu probe -dtls -json" prints:
// the fields of every mode, and those of the dtls mode.
type dtlsToolResult struct {
	toolResult
	MaxDTLSPayload int    `json:"max_dtls_payload"`
	ProbesAcked    int    `json:"probes_acked"`
	ProbesLost     int    `json:"probes_lost"`
	Version        string `json:"version"`
	CipherSuite    string `json:"cipher_suite"`
}

// runDTLSTool runs "pmtu probe -json -deadline toolDeadline -dtls args..."
// in ns, as runTool does, and parses the dtls mode's fields too.
func runDTLSTool(t *testing.T, ns *netns.Namespace, bin, network string, args ...string) (toolRun, dtlsToolResult) {
	t.Helper()
	r := runTool(t, ns, bin, network, append([]string{"-dtls"}, args...)...)
	var res dtlsToolResult
	if r.stdout != "" {
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatalf("output is not JSON (%v): %q", err, r.stdout)
		}
	}
	return r, res
}

// buildDTLSCommand builds the dtls command into a directory that lives as
// long as t, and returns its path.
func buildDTLSCommand(t *testing.T) string {
	t.Helper()
	gotool := testenv.LookPath(t, "go")
	bin := filepath.Join(t.TempDir(), "dtls")
	out, err := exec.Command(gotool, "build", "-o", bin, "github.com/pathdtls/pathdtls/cmd/dtls").CombinedOutput()
	if err != nil {
		t.Fatalf("building the dtls command: %v\n%s", err, out)
	}
	return bin
}

// startDTLSServerCommand runs "dtls server -psk KEY addr" in ns until the
// test ends, and waits until it listens. The server echoes what it
// receives, so it keeps reading each association, and answers
// heartbeats.
func startDTLSServerCommand(t *testing.T, ns *netns.Namespace, bin string, addr netip.AddrPort, key []byte) {
	t.Helper()
	startServing(t, ns, bin, []string{"server", "-psk", hex.EncodeToString(key), addr.String()}, func(line string) bool {
		return strings.HasPrefix(line, "LISTEN ")
	})
}
