//go:build unix

package testenv

import (
	"os"
	"testing"
)

// MustRoot calls [SkipOrFail] unless the test runs with effective user ID 0.
func MustRoot(t testing.TB) {
	t.Helper()
	if euid := os.Geteuid(); euid != 0 {
		SkipOrFail(t, "needs root; running as euid %d", euid)
	}
}
