package tests

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// TestPionModule runs the tests of the module in tests/pion, which checks
// connection IDs (RFC 9146) against pion/dtls, a peer that implements
// them, and a pion client whose NAT binding changes. The module is apart
// so that pion/dtls stays out of this module's dependencies; its tests
// need the module proxy (or the module cache) the first time.
func TestPionModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds another module; skipped in -short mode")
	}
	goTool := testenv.LookPath(t, "go")
	args := []string{"test", "-count=1"}
	if testenv.Race {
		args = append(args, "-race") // as this module's tests run
	}
	cmd := exec.Command(goTool, append(args, "./...")...)
	cmd.Dir = "pion"
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "dial tcp") || strings.Contains(string(out), "proxy") {
			testenv.SkipOrFail(t, "cannot download the pion module: %s", out)
		}
		t.Fatalf("go test in tests/pion: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
