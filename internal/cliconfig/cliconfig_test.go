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

func TestVersions(t *testing.T) {
	for _, tt := range []struct {
		dtls1, dtls12, dtls13 bool
		min, max              uint16
		err                   string
	}{
		{min: dtls.VersionDTLS12, max: dtls.VersionDTLS13},
		{dtls1: true, min: dtls.VersionDTLS10, max: dtls.VersionDTLS10},
		{dtls12: true, min: dtls.VersionDTLS12, max: dtls.VersionDTLS12},
		{dtls13: true, min: dtls.VersionDTLS13, max: dtls.VersionDTLS13},
		{dtls1: true, dtls13: true, err: "-dtls1 and -dtls1_3 are mutually exclusive"},
		{dtls1: true, dtls12: true, dtls13: true, err: "-dtls1, -dtls1_2 and -dtls1_3 are mutually exclusive"},
	} {
		lo, hi, err := Versions(tt.dtls1, tt.dtls12, tt.dtls13)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Versions(%v, %v, %v) = %v, want %q", tt.dtls1, tt.dtls12, tt.dtls13, err, tt.err)
			}
			continue
		}
		if err != nil || lo != tt.min || hi != tt.max {
			t.Errorf("Versions(%v, %v, %v) = %#x, %#x, %v; want %#x, %#x", tt.dtls1, tt.dtls12, tt.dtls13, lo, hi, err, tt.min, tt.max)
		}
	}
}
