// Package testenv gates tests on what the machine they run on provides.
//
// A test that needs root, network namespaces or a peer binary such as
// openssl or gnutls-cli skips, with a reason, on a developer machine that
// lacks it. CI sets the environment variable named by [RequireAllEnv], which
// turns each of those skips into a failure, so that a test cannot pass in
// CI by not running.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RequireAllEnv is the environment variable that makes [SkipOrFail] fail
// instead of skip. Any value other than "" and "0" sets it; CI uses 1.
const RequireAllEnv = "PATHDTLS_REQUIRE_ALL"

// SkipOrFail skips t with the formatted reason, or fails it with that reason
// when [RequireAllEnv] is set. Like [testing.T.Skipf] and
// [testing.T.Fatalf], it must be called from the goroutine running the test.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if requireAll() {
		t.Fatalf("%s (failing instead of skipping because %s=%q)", reason, RequireAllEnv, os.Getenv(RequireAllEnv))
	}
	t.Skip(reason)
}

func requireAll() bool {
	v := os.Getenv(RequireAllEnv)
	return v != "" && v != "0"
}

// packages names the Debian package that provides each binary the tests
// look for, for the message printed when one is missing.
var packages = map[string]string{
	"certtool":    "gnutls-bin",
	"gnutls-cli":  "gnutls-bin",
	"gnutls-serv": "gnutls-bin",
	"ip":          "iproute2",
	"nft":         "nftables",
	"openssl":     "openssl",
	"tracepath":   "iputils-tracepath",
}

// LookPath returns the path of the executable name as [exec.LookPath] finds
// it, or calls [SkipOrFail] saying how to install it.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if pkg, ok := packages[name]; ok {
		SkipOrFail(t, "%s not installed; apt-get install %s (%v)", name, pkg, err)
	} else {
		SkipOrFail(t, "%s not installed (%v)", name, err)
	}
	return ""
}
