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

// A suite13 is a DTLS 1.3 cipher suite and its IANA name.
type suite13 struct {
	id   uint16
	name string
}

// suites13 names the DTLS 1.3 cipher suites (RFC 8446, Appendix B.4) for
// -cipher and for what the tool prints: dtls.CipherSuiteName and
// dtls.CipherSuiteByName know only the suites of DTLS 1.2 and 1.0.
var suites13 = []suite13{
	{dtls.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
	{dtls.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384"},
	{dtls.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"},
	{dtls.TLS_AES_128_CCM_SHA256, "TLS_AES_128_CCM_SHA256"},
	{dtls.TLS_AES_128_CCM_8_SHA256, "TLS_AES_128_CCM_8_SHA256"},
}

// is13Suite reports whether id is a DTLS 1.3 cipher suite.
func is13Suite(id uint16) bool {
	return slices.ContainsFunc(suites13, func(s suite13) bool { return s.id == id })
}

// suiteName names a cipher suite of any version as the tool prints it: its
// IANA name, or its number in hex.
func suiteName(id uint16) string {
	for _, s := range suites13 {
		if s.id == id {
			return s.name
		}
	}
	return dtls.CipherSuiteName(id)
}

// suiteByName returns the suite that -cipher names with its IANA name.
func suiteByName(name string) (uint16, bool) {
	for _, s := range suites13 {
		if s.name == name {
			return s.id, true
		}
	}
	return dtls.CipherSuiteByName(name)
}

// supportedSuites lists the names -cipher takes, the DTLS 1.3 suites
// first.
func supportedSuites() string {
	var names []string
	for _, s := range suites13 {
		names = append(names, s.name)
	}
	for _, id := range dtls.CipherSuites() {
		names = append(names, dtls.CipherSuiteName(id))
	}
	return strings.Join(names, ",")
}

// versionName names a protocol version as the tool prints it, in one
// field: DTLSv1.3, DTLSv1.2, DTLSv1.0.
func versionName(v uint16) string {
	if v == dtls.VersionDTLS13 {
		return "DTLSv1.3"
	}
	return cliconfig.VersionName(v)
}

// versions sets the range of versions of c from -dtls1, -dtls1_2 and
// -dtls1_3: at most one of them, and by default DTLS 1.2 to 1.3.
func (o *options) versions(c *dtls.Config) error {
	var given []string
	for _, f := range []struct {
		set  bool
		name string
	}{{o.dtls1, "-dtls1"}, {o.dtls12, "-dtls1_2"}, {o.dtls13, "-dtls1_3"}} {
		if f.set {
			given = append(given, f.name)
		}
	}
	if len(given) > 1 {
		return fmt.Errorf("%s and %s are mutually exclusive", strings.Join(given[:len(given)-1], ", "), given[len(given)-1])
	}
	switch {
	case o.dtls1:
		c.MinVersion, c.MaxVersion = dtls.VersionDTLS10, dtls.VersionDTLS10
	case o.dtls12:
		c.MinVersion, c.MaxVersion = dtls.VersionDTLS12, dtls.VersionDTLS12
	case o.dtls13:
		c.MinVersion, c.MaxVersion = dtls.VersionDTLS13, dtls.VersionDTLS13
	default:
		c.MinVersion, c.MaxVersion = dtls.VersionDTLS12, dtls.VersionDTLS13
	}
	if f := o.only12(); f != "" {
		if o.dtls13 {
			return fmt.Errorf("%s needs DTLS 1.2: the DTLS 1.3 handshake does not negotiate it yet; leave out -dtls1_3", f)
		}
		c.MaxVersion = max(c.MaxVersion, dtls.VersionDTLS12) // newer versions are smaller numbers
	}
	return nil
}

// only12 returns the first flag given whose feature the DTLS 1.3 handshake
// of the library does not negotiate yet, or "": connection IDs (RFC 9147,
// Section 9), DTLS-SRTP, the exporter (RFC 8446, Section 7.5) and
// resumption with a ticket (RFC 8446, Section 4.6.1). Such a flag keeps
// the default range at DTLS 1.2, so that it still does what it says,
// instead of a DTLS 1.3 session without it.
func (o *options) only12() string {
	switch {
	case o.cid >= 0:
		return "-cid"
	case o.srtp != "":
		return "-use_srtp"
	case o.keymatLabel != "":
		return "-keymatexport"
	case o.reconnect:
		return "-reconnect"
	}
	return ""
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
		id, ok := suiteByName(name)
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
		return errors.New("-cipher names only DTLS 1.3 suites, but DTLS 1.3 is not offered (-dtls1, -dtls1_2, or one of -cid, -use_srtp, -keymatexport, -reconnect, which need DTLS 1.2)")
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
