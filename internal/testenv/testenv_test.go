package testenv

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv selects what TestChild does when this test binary runs itself.
const childEnv = "PATHDTLS_TESTENV_CHILD"

// TestChild does nothing in a normal run. TestGate runs the test binary
// again with only this test selected and childEnv set, so that a skip or a
// failure ends the child and not the test that observes it.
func TestChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "":
		// Not a child: nothing to do.
	case "skip":
		SkipOrFail(t, "reason %d", 42)
	case "lookpath":
		LookPath(t, "gnutls-cli")
	case "lookpath-unknown":
		LookPath(t, "pathdtls-no-such-tool")
	case "lookpath-found":
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		if got := LookPath(t, exe); got != exe {
			t.Fatalf("LookPath(%q) = %q", exe, got)
		}
	case "root":
		MustRoot(t)
	default:
		t.Fatalf("unknown %s=%q", childEnv, os.Getenv(childEnv))
	}
}

func TestGate(t *testing.T) {
	rootWant, rootRequiredWant := "SKIP", "FAIL"
	if os.Geteuid() == 0 {
		rootWant, rootRequiredWant = "PASS", "PASS"
	}
	tests := []struct {
		name, child, requireAll string
		want                    string // PASS, SKIP or FAIL
		wantOutput              string
	}{
		{"skip", "skip", "", "SKIP", "reason 42"},
		{"skip/zero", "skip", "0", "SKIP", "reason 42"},
		{"skip/required", "skip", "1", "FAIL", "reason 42 (failing instead of skipping because PATHDTLS_REQUIRE_ALL=\"1\")"},
		{"lookpath", "lookpath", "", "SKIP", "gnutls-cli not installed; apt-get install gnutls-bin"},
		{"lookpath/required", "lookpath", "1", "FAIL", "gnutls-cli not installed; apt-get install gnutls-bin"},
		{"lookpath/unknown", "lookpath-unknown", "", "SKIP", "pathdtls-no-such-tool not installed ("},
		{"lookpath/found", "lookpath-found", "1", "PASS", ""},
		{"root", "root", "", rootWant, ""},
		{"root/required", "root", "1", rootRequiredWant, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, out := runChild(t, tt.child, tt.requireAll)
			if got != tt.want || !strings.Contains(out, tt.wantOutput) {
				t.Errorf("child %s with %s=%q: got %s, want %s with output containing %q; output:\n%s",
					tt.child, RequireAllEnv, tt.requireAll, got, tt.want, tt.wantOutput, out)
			}
		})
	}
}

// runChild runs TestChild in a new process of this test binary, with PATH
// set to an empty directory, and returns PASS, SKIP or FAIL and the output.
func runChild(t *testing.T, child, requireAll string) (result, output string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v")
	cmd.Env = []string{childEnv + "=" + child, "PATH=" + t.TempDir()}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != RequireAllEnv && name != childEnv && name != "PATH" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if requireAll != "" {
		cmd.Env = append(cmd.Env, RequireAllEnv+"="+requireAll)
	}
	if os.Getenv("GORACE") == "" {
		// A race-enabled child otherwise sleeps a second before exiting.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	out, err := cmd.CombinedOutput()
	output = string(out)
	var exit *exec.ExitError
	switch {
	case err == nil && strings.Contains(output, "--- SKIP: TestChild"):
		return "SKIP", output
	case err == nil && strings.Contains(output, "--- PASS: TestChild"):
		return "PASS", output
	case errors.As(err, &exit) && strings.Contains(output, "--- FAIL: TestChild"):
		return "FAIL", output
	}
	t.Fatalf("child %s: unexpected result (err %v); output:\n%s", child, err, output)
	return "", ""
}
