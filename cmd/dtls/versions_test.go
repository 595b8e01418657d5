package main

import (
	"flag"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
)

// TestVersionRange checks the versions and suites that the version flags
// and -cipher give a Config.
func TestVersionRange(t *testing.T) {
	const (
		v10, v12, v13 = dtls.VersionDTLS10, dtls.VersionDTLS12, dtls.VersionDTLS13
	)
	tests := []struct {
		args     []string
		min, max uint16
		suites   []uint16
	}{
		{nil, v12, v13, nil},
		{[]string{"-dtls1_3"}, v13, v13, nil},
		{[]string{"-dtls1_2"}, v12, v12, nil},
		{[]string{"-dtls1"}, v10, v10, nil},
		{[]string{"-cipher", "TLS_AES_256_GCM_SHA384"}, v13, v13, []uint16{dtls.TLS_AES_256_GCM_SHA384}},
		{[]string{"-cipher", "TLS_PSK_WITH_AES_128_CCM_8"}, v12, v12, []uint16{0xc0a8}},
		{[]string{"-cipher", "TLS_PSK_WITH_AES_128_CCM_8,TLS_AES_128_CCM_8_SHA256"}, v12, v13, []uint16{0xc0a8, dtls.TLS_AES_128_CCM_8_SHA256}},
		// The suites of a version not offered are left out.
		{[]string{"-dtls1_3", "-cipher", "TLS_PSK_WITH_AES_128_CCM_8,TLS_AES_128_CCM_8_SHA256"}, v13, v13, []uint16{dtls.TLS_AES_128_CCM_8_SHA256}},
		{[]string{"-dtls1", "-cipher", "TLS_PSK_WITH_AES_128_CBC_SHA,TLS_AES_128_GCM_SHA256"}, v10, v10, []uint16{0x8c}},
		// Connection IDs, DTLS-SRTP, the exporter and resumption work in
		// both versions: they leave the range as it is.
		{[]string{"-cid", "8", "-cipher", "TLS_AES_128_GCM_SHA256,TLS_PSK_WITH_AES_128_CCM_8"}, v12, v13, []uint16{dtls.TLS_AES_128_GCM_SHA256, 0xc0a8}},
		{[]string{"-cid", "0"}, v12, v13, nil},
		{[]string{"-use_srtp", "SRTP_AEAD_AES_128_GCM"}, v12, v13, nil},
		{[]string{"-keymatexport", "EXPERIMENTAL-x", "-keymatexportlen", "8"}, v12, v13, nil},
		{[]string{"-reconnect"}, v12, v13, nil},
		{[]string{"-dtls1", "-reconnect"}, v10, v10, nil},
	}
	for _, tt := range tests {
		c, err := configFor(tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if c.MinVersion != tt.min || c.MaxVersion != tt.max || !slices.Equal(c.CipherSuites, tt.suites) {
			t.Errorf("%q: versions %s to %s, suites %x; want %s to %s, %x", tt.args, cliconfig.VersionName(c.MinVersion),
				cliconfig.VersionName(c.MaxVersion), c.CipherSuites, cliconfig.VersionName(tt.min), cliconfig.VersionName(tt.max), tt.suites)
		}
	}
}

// configFor parses args as a client's flags, with a PSK, and builds the
// Config.
func configFor(args []string) (*dtls.Config, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	o.register(fs, roleClient)
	if err := fs.Parse(append([]string{"-psk", "01"}, args...)); err != nil {
		return nil, err
	}
	return o.config(roleClient, nil)
}

// TestSeconds checks the values -keyupdate takes.
func TestSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1": time.Second, "0": 0, "0.25": 250 * time.Millisecond, "500ms": 500 * time.Millisecond,
		"2m": 2 * time.Minute, "-1": -time.Second, "1e3": 1000 * time.Second,
	} {
		var s seconds
		if err := s.Set(in); err != nil || time.Duration(s) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, time.Duration(s), err, want)
		}
	}
	for _, in := range []string{"", "x", "1x", "NaN", "Inf", "-Inf", "1e300", "99999999999"} {
		var s seconds
		if err := s.Set(in); err == nil {
			t.Errorf("Set(%q) = %v, want an error", in, time.Duration(s))
		}
	}
}
