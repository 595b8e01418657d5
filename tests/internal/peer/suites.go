package peer

import (
	"fmt"
	"slices"
	"strings"
)

// Version is a DTLS protocol version as it appears on the wire.
type Version uint16

const (
	// DTLS10 is DTLS 1.0, RFC 4347, Section 4.1.
	DTLS10 Version = 0xfeff
	// DTLS12 is DTLS 1.2, RFC 6347, Section 4.1.
	DTLS12 Version = 0xfefd
	// DTLS13 is DTLS 1.3, RFC 9147, Section 5.3 ({254, 252} on the wire).
	// Only the wolfSSL peers speak it.
	DTLS13 Version = 0xfefc
)

// String returns the version's name.
func (v Version) String() string {
	switch v {
	case DTLS10:
		return "DTLS 1.0"
	case DTLS12:
		return "DTLS 1.2"
	case DTLS13:
		return "DTLS 1.3"
	}
	return fmt.Sprintf("Version(%#04x)", uint16(v))
}

// Suite is a cipher suite under the names each peer tool gives it.
type Suite struct {
	// ID is the suite's value in the IANA TLS Cipher Suites registry.
	ID uint16
	// Name is the suite's IANA name, the name the harness's options use.
	Name string
	// OpenSSL is the name in OpenSSL cipher strings (openssl ciphers
	// -stdname prints both names).
	OpenSSL string
	// GnuTLS lists the GnuTLS priority-string elements for the suite's key
	// exchange, cipher and MAC. Added to a priority string from which all
	// three kinds were removed, they leave this suite alone.
	GnuTLS string
	// PSK reports whether the suite authenticates with a pre-shared key
	// (RFC 4279) instead of certificates.
	PSK bool
	// AEAD reports whether the suite's cipher is an AEAD, which needs
	// DTLS 1.2 (RFC 5288, Section 4).
	AEAD bool
}

// suites is the table of cipher suites the harness can ask a peer for.
// The GCM suites are defined by RFC 5289 and RFC 5487, the ECDHE CBC
// suites by RFC 4492, the PSK CBC suite by RFC 4279 and the
// ChaCha20-Poly1305 suites by RFC 7905 (ECDHE_PSK by RFC 5489), the
// AES-CCM suites by RFC 6655 and RFC 7251.
var suites = []Suite{
	// ID, Name, OpenSSL, GnuTLS, PSK, AEAD
	{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "+ECDHE-ECDSA:+AES-128-GCM:+AEAD", false, true},
	{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "+ECDHE-RSA:+AES-128-GCM:+AEAD", false, true},
	{0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256", "PSK-AES128-GCM-SHA256", "+PSK:+AES-128-GCM:+AEAD", true, true},
	{0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", "+ECDHE-ECDSA:+AES-128-CBC:+SHA1", false, false},
	{0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", "+ECDHE-RSA:+AES-128-CBC:+SHA1", false, false},
	{0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA", "PSK-AES128-CBC-SHA", "+PSK:+AES-128-CBC:+SHA1", true, false},
	{0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", "+ECDHE-ECDSA:+AES-256-GCM:+AEAD", false, true},
	{0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "+ECDHE-RSA:+AES-256-GCM:+AEAD", false, true},
	{0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384", "PSK-AES256-GCM-SHA384", "+PSK:+AES-256-GCM:+AEAD", true, true},
	{0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "+ECDHE-ECDSA:+CHACHA20-POLY1305:+AEAD", false, true},
	{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", "+ECDHE-RSA:+CHACHA20-POLY1305:+AEAD", false, true},
	{0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "PSK-CHACHA20-POLY1305", "+PSK:+CHACHA20-POLY1305:+AEAD", true, true},
	{0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM", "+ECDHE-ECDSA:+AES-128-CCM:+AEAD", false, true},
	{0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8", "+ECDHE-ECDSA:+AES-128-CCM-8:+AEAD", false, true},
	{0xc0a4, "TLS_PSK_WITH_AES_128_CCM", "PSK-AES128-CCM", "+PSK:+AES-128-CCM:+AEAD", true, true},
	{0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8", "PSK-AES128-CCM8", "+PSK:+AES-128-CCM-8:+AEAD", true, true},
	{0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-PSK-CHACHA20-POLY1305", "+ECDHE-PSK:+CHACHA20-POLY1305:+AEAD", true, true},
	{0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "ECDHE-PSK-AES128-CBC-SHA256", "+ECDHE-PSK:+AES-128-CBC:+SHA256", true, false},
}

// Suites returns the cipher suites the harness knows, in a new slice.
func Suites() []Suite {
	return slices.Clone(suites)
}

// DTLS12Only reports whether the suite needs DTLS 1.2: all but the
// HMAC-SHA1 CBC suites, which DTLS 1.0 has too (RFC 5246, Section 1.2, and
// RFC 5289 keep the SHA-256 and AEAD suites to TLS 1.2).
func (s Suite) DTLS12Only() bool { return !strings.HasSuffix(s.Name, "_CBC_SHA") }

// LookupSuite returns the suite whose IANA name is name.
func LookupSuite(name string) (Suite, bool) {
	i := slices.IndexFunc(suites, func(s Suite) bool { return s.Name == name })
	if i < 0 {
		return Suite{}, false
	}
	return suites[i], true
}
