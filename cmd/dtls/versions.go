package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
)

// The version flags and -cipher: by default DTLS 1.3 (RFC 9147) and 1.2
// (RFC 6347) are offered, 1.3 preferred; -dtls1, -dtls1_2 and -dtls1_3
// pick one. -cipher names suites of either version in one list, and a
// version of which it names no suite is not offered.

// suites13 are the DTLS 1.3 cipher suites (RFC 8446, Appendix B.4).
var suites13 = []uint16{
	dtls.TLS_AES_128_GCM_SHA256, dtls.TLS_AES_256_GCM_SHA384, dtls.TLS_CHACHA20_POLY1305_SHA256,
	dtls.TLS_AES_128_CCM_SHA256, dtls.TLS_AES_128_CCM_8_SHA256,
}

// is13Suite reports whether id is a DTLS 1.3 cipher suite.
func is13Suite(id uint16) bool { return slices.Contains(suites13, id) }

// supportedSuites lists the names -cipher takes, the DTLS 1.3 suites
// first.
func supportedSuites() string {
	var names []string
	for _, id := range append(slices.Clone(suites13), dtls.CipherSuites()...) {
		names = append(names, dtls.CipherSuiteName(id))
	}
	return strings.Join(names, ",")
}

// versions sets the range of versions of c from -dtls1, -dtls1_2 and
// -dtls1_3: at most one of them, and by default DTLS 1.2 to 1.3.
func (o *options) versions(c *dtls.Config) error {
	var err error
	c.MinVersion, c.MaxVersion, err = cliconfig.Versions(o.dtls1, o.dtls12, o.dtls13)
	return err
}

// suites sets c.CipherSuites from -cipher, once versions has set the range
// of versions. DTLS 1.3 has suites of its own (RFC 8446, Section 4.1.2;
// RFC 9147, Section 5.3): a list with none of them leaves DTLS 1.3 out of
// the default range, and one with only them leaves DTLS 1.2 out; a version
// flag whose version the list has no suite for is a usage error.
func (o *options) suites(c *dtls.Config) error {
	if o.cipher == "" {
		return nil
	}
	var has13, has12 bool
	for name := range strings.SplitSeq(o.cipher, ",") {
		name = strings.TrimSpace(name)
		id, ok := dtls.CipherSuiteByName(name)
		if !ok {
			return fmt.Errorf("unknown cipher suite %q; supported: %s", name, supportedSuites())
		}
		if is13Suite(id) {
			has13 = true
		} else {
			has12 = true
		}
		c.CipherSuites = append(c.CipherSuites, id)
	}
	switch {
	case !has13 && c.MinVersion == dtls.VersionDTLS13:
		return errors.New("-dtls1_3 and -cipher: the list names no DTLS 1.3 suite (TLS_AES_128_GCM_SHA256, ...)")
	case !has12 && c.MaxVersion != dtls.VersionDTLS13:
		return errors.New("-cipher names only DTLS 1.3 suites, but DTLS 1.3 is not offered (-dtls1 or -dtls1_2)")
	case !has13:
		c.MaxVersion = max(c.MaxVersion, dtls.VersionDTLS12)
	case !has12:
		c.MinVersion = dtls.VersionDTLS13
	}
	// The Config gets only the suites of the versions it offers.
	c.CipherSuites = slices.DeleteFunc(c.CipherSuites, func(id uint16) bool {
		return is13Suite(id) && c.MaxVersion != dtls.VersionDTLS13 || !is13Suite(id) && c.MinVersion == dtls.VersionDTLS13
	})
	return nil
}
