package peer

import (
	"fmt"
	"strings"
	"testing"
)

// WolfSSLMaxCID is the longest connection ID (RFC 9147, Section 9) the
// wolfSSL programs can ask their peer for: the build keeps
// DTLS_CID_MAX_SIZE at its default of 2 bytes, the size of the buffer in
// which it parses a record's header. The IDs they put in the records they
// send, their peer's, may be up to 255 bytes.
const WolfSSLMaxCID = 2

// Patterns, in [regexp] syntax, for [Process.Await]: what a wolfSSL
// program started with [WolfSSLCID] prints after the handshake.
// WolfSSLCIDNegotiated comes first, then WolfSSLSendingCID, which
// captures the ID the program puts in the records it sends (its peer's,
// as [WolfSSLCIDHex] writes it), or WolfSSLEmptyCID when the peer asked
// for none.
const (
	WolfSSLCIDNegotiated = `(?m)^CID extension was negotiated$`
	WolfSSLSendingCID    = `(?m)^Sending CID is ([0-9a-f]*)$`
	WolfSSLEmptyCID      = `(?m)^other peer provided empty CID$`
)

// WolfSSLCID returns the arguments, for Options.Args, that turn on
// connection IDs (RFC 9147, Section 9; DTLS 1.3 only) in a wolfSSL
// program and make it ask its peer for id: the program takes the ID as
// text ("--cid ab" asks for the two bytes 0x61 0x62) and, with an empty
// id, asks for none ("--cid" alone). Since the option's value is
// optional, "--cid" must come last or before another option, and id must
// not start with "-". It fails t if id is longer than [WolfSSLMaxCID] or
// starts with "-".
func WolfSSLCID(t testing.TB, id string) []string {
	t.Helper()
	switch {
	case len(id) > WolfSSLMaxCID:
		t.Fatalf("peer: the wolfSSL programs take connection IDs of up to %d bytes, not %q", WolfSSLMaxCID, id)
	case strings.HasPrefix(id, "-"):
		t.Fatalf("peer: the wolfSSL programs would take connection ID %q for an option", id)
	case id == "":
		return []string{"--cid"}
	}
	return []string{"--cid", id}
}

// WolfSSLCIDHex writes id as the wolfSSL programs print a connection ID:
// each byte in lower-case hexadecimal without a leading zero, so that
// {0x0a, 0xbc} is "abc". Only IDs whose every byte is at least 0x10 can
// be told apart from others that print the same.
func WolfSSLCIDHex(id []byte) string {
	var b strings.Builder
	for _, c := range id {
		fmt.Fprintf(&b, "%x", c)
	}
	return b.String()
}
