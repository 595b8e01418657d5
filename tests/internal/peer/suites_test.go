package peer

import (
	"crypto/tls"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSuites(t *testing.T) {
	t.Parallel()
	seen := map[any]bool{}
	for _, s := range Suites() {
		for _, key := range []any{s.ID, s.Name, s.OpenSSL, s.GnuTLS} {
			if seen[key] {
				t.Errorf("%v appears twice", key)
			}
			seen[key] = true
		}
		if got, ok := LookupSuite(s.Name); !ok || got != s {
			t.Errorf("LookupSuite(%q) = %v, %v", s.Name, got, ok)
		}
		psk := strings.HasPrefix(s.Name, "TLS_PSK_") || strings.HasPrefix(s.Name, "TLS_ECDHE_PSK_")
		aead := !strings.Contains(s.Name, "_CBC_")
		if s.PSK != psk || s.AEAD != aead {
			t.Errorf("%s: PSK %v, AEAD %v", s.Name, s.PSK, s.AEAD)
		}
		// crypto/tls knows the names of the suites it implements, which
		// are all but the PSK and CCM ones.
		if name := tls.CipherSuiteName(s.ID); !s.PSK && !strings.Contains(s.Name, "_CCM") && name != s.Name {
			t.Errorf("crypto/tls calls %#04x %s, the table %s", s.ID, name, s.Name)
		}
	}
	if len(seen) != 4*18 {
		t.Errorf("%d suites, want 18", len(seen)/4)
	}
	if s, ok := LookupSuite("TLS_RSA_WITH_RC4_128_MD5"); ok {
		t.Errorf("LookupSuite found %v", s)
	}
	Suites()[0].Name = "changed"
	if _, ok := LookupSuite(suites[0].Name); !ok || suites[0].Name == "changed" {
		t.Error("changing what Suites returned changed the table")
	}
}

// TestSuitesOpenSSL checks each suite's OpenSSL name against the IANA name
// that openssl ciphers -stdname prints for it.
func TestSuitesOpenSSL(t *testing.T) {
	t.Parallel()
	for _, s := range Suites() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			// An empty -ciphersuites leaves out the TLS 1.3 suites, which
			// it lists whatever the cipher string.
			p := Start(t, "openssl", []string{"ciphers", "-ciphersuites", "", "-stdname", "-psk", s.OpenSSL}, nil)
			if err := p.Wait(t, time.Minute); err != nil {
				t.Fatalf("%v: %v", p, err)
			}
			want := regexp.MustCompile(`^` + s.Name + ` +- ` + s.OpenSSL + ` `)
			if lines := strings.Split(strings.TrimSpace(p.Stdout()), "\n"); len(lines) != 1 || !want.MatchString(lines[0]) {
				t.Errorf("%v printed %q, want one line matching %s", p, p.Stdout(), want)
			}
		})
	}
}

// TestSuitesGnuTLS checks that the priority string the harness builds for
// each suite and version leaves GnuTLS that suite alone, by the suite's
// IANA value as gnutls-cli --list prints it.
func TestSuitesGnuTLS(t *testing.T) {
	t.Parallel()
	for _, v := range []Version{DTLS10, DTLS12} {
		for _, s := range Suites() {
			if s.DTLS12Only() && v == DTLS10 {
				continue
			}
			t.Run(v.String()+"/"+s.Name, func(t *testing.T) {
				t.Parallel()
				priority := gnuTLSPriority(Options{Version: v}, &s)
				p := Start(t, "gnutls-cli", []string{"--list", "--priority", priority}, nil)
				if err := p.Wait(t, time.Minute); err != nil {
					t.Fatalf("%v: %v", p, err)
				}
				// The suites come first, one a line, up to an empty line.
				_, list, _ := strings.Cut(p.Stdout(), "\n")
				list, _, _ = strings.Cut(list, "\n\n")
				id := fmt.Sprintf("\t0x%02x, 0x%02x\t", s.ID>>8, s.ID&0xff)
				if lines := strings.Split(list, "\n"); len(lines) != 1 || !strings.Contains(lines[0], id) {
					t.Errorf("%v lists %q, want one suite, %q", p, list, id)
				}
			})
		}
	}
}
