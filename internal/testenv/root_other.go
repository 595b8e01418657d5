//go:build !unix

package testenv

import (
	"runtime"
	"testing"
)

// MustRoot calls [SkipOrFail]: tests that need root run on Unix only.
func MustRoot(t testing.TB) {
	t.Helper()
	SkipOrFail(t, "needs root, which these tests support on Unix only, not %s", runtime.GOOS)
}
