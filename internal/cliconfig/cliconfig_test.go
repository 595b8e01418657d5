package cliconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
)

func TestPSK(t *testing.T) {
	if k, err := PSK(""); k != nil || err != nil {
		t.Errorf(`PSK("") = %x, %v; want nothing`, k, err)
	}
	if k, err := PSK("0a0B"); err != nil || string(k) != "\x0a\x0b" {
		t.Errorf(`PSK("0a0B") = %x, %v`, k, err)
	}
	for _, bad := range []string{"xyz", "abc"} {
		if _, err := PSK(bad); err == nil {
			t.Errorf("PSK(%q) accepted", bad)
		}
	}
}

func TestFiles(t *testing.T) {
	if c, err := Certificate("", ""); c != nil || err != nil {
		t.Errorf("no -cert: %v, %v", c, err)
	}
	if _, err := Certificate("", "key.pem"); err == nil {
		t.Error("-key without -cert accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("no PEM here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Certificate(empty, ""); err == nil {
		t.Error("a -cert file without PEM accepted")
	}
	if p, err := CertPool(""); p != nil || err != nil {
		t.Errorf("no -CAfile: %v, %v", p, err)
	}
	if _, err := CertPool(empty); err == nil {
		t.Error("a -CAfile without PEM accepted")
	}
	if got := VersionName(dtls.VersionDTLS12); got != "DTLSv1.2" {
		t.Errorf("VersionName = %q", got)
	}
}
