package peer

import (
	"regexp"
	"slices"
	"testing"
)

func TestWolfSSLCID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		id   string
		want []string
	}{
		{"", []string{"--cid"}},
		{"a", []string{"--cid", "a"}},
		{"ab", []string{"--cid", "ab"}},
	} {
		if got := WolfSSLCID(t, tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("WolfSSLCID(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// TestWolfSSLCIDHex checks the format against lines the wolfSSL programs
// printed: "--cid ab" made the peer print "Sending CID is 6162", and an
// 8-byte ID of ours was printed without the leading zero of each byte.
func TestWolfSSLCIDHex(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		id   []byte
		want string
	}{
		{[]byte("ab"), "6162"},
		{[]byte{0x0a, 0xbc}, "abc"},
		{[]byte{0x00, 0x10, 0xff}, "010ff"},
		{nil, ""},
	} {
		if got := WolfSSLCIDHex(tt.id); got != tt.want {
			t.Errorf("WolfSSLCIDHex(%x) = %q, want %q", tt.id, got, tt.want)
		}
	}
	out := "SSL cipher suite is TLS_AES_128_GCM_SHA256\nCID extension was negotiated\nSending CID is 6162\n"
	if !regexp.MustCompile(WolfSSLCIDNegotiated).MatchString(out) {
		t.Errorf("%q does not match WolfSSLCIDNegotiated", out)
	}
	if m := regexp.MustCompile(WolfSSLSendingCID).FindStringSubmatch(out); m == nil || m[1] != "6162" {
		t.Errorf("WolfSSLSendingCID found %q in %q", m, out)
	}
}
