package dtls

import (
	"crypto/tls"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// offers13 reports whether a ClientHello offers DTLS 1.3 and the Config
// accepts it (RFC 8446 §4.2.1: the version is in supported_versions).
func (c *Config) offers13(ch *handshake.ClientHello) bool {
	return c.supportsVersion(VersionDTLS13) && slices.Contains(ch.Extensions.SupportedVersions, VersionDTLS13)
}

// A choice13 is what a server chooses of a DTLS 1.3 ClientHello before it
// keeps any state: the suite and the group, and the client's key share for
// that group, nil if it sent none, which a HelloRetryRequest asks for. The
// cookie exchange and the handshake choose alike from the same ClientHello.
type choice13 struct {
	suite *suite13
	group uint16
	share []byte
}

// choose13 picks the suite in our order among the client's, and the group:
// the first of ours the client sent a share for, else the first of ours it
// supports (RFC 8446 §4.2.8). A server that has only a PSK picks a SHA-256
// suite, the hash of its key (RFC 8446 §4.2.11).
func (c *Config) choose13(ch *handshake.ClientHello) (choice13, bool) {
	var cs choice13
	pskOnly := c.PSK != nil && len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil
	for _, s := range c.suites13() {
		if slices.Contains(ch.CipherSuites, s.id) && (!pskOnly || s.hash == pskHash) {
			cs.suite = s
			break
		}
	}
	if cs.suite == nil {
		return cs, false
	}
	for _, id := range c.serverGroups13() {
		for _, ks := range ch.Extensions.KeyShares {
			if ks.Group == uint16(id) && groupUsable13(id) {
				cs.group, cs.share = ks.Group, ks.Data
				return cs, true
			}
		}
	}
	for _, id := range c.serverGroups13() {
		if groupUsable13(id) && slices.Contains(ch.Extensions.SupportedGroups, uint16(id)) {
			cs.group = uint16(id)
			return cs, true
		}
	}
	return cs, false
}

// groupName names a group for the log.
func groupName(g uint16) string { return tls.CurveID(g).String() }

// serverGroups13 returns the groups a DTLS 1.3 server takes, in order:
// Config.CurvePreferences, or by default X25519MLKEM768 before the curves
// of DTLS 1.2. A server gives the hybrid to a client that sends its share,
// at no cost in size; a client offers it only when configured to, since
// its ClientHello no longer fits one datagram (tls13_groups.go).
func (c *Config) serverGroups13() []tls.CurveID {
	if c.CurvePreferences != nil {
		return c.CurvePreferences
	}
	return append([]tls.CurveID{tls.X25519MLKEM768}, c.curves()...)
}
