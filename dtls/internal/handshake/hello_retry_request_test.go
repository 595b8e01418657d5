package handshake

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestHelloRetryRequestRandom(t *testing.T) {
	if sum := sha256.Sum256([]byte("HelloRetryRequest")); sum != HelloRetryRequestRandom {
		t.Errorf("HelloRetryRequestRandom = %x, want SHA-256(\"HelloRetryRequest\") = %x", HelloRetryRequestRandom, sum)
	}
}

var hrrRandomHex = hex.EncodeToString(HelloRetryRequestRandom[:])

// helloRetryRequestHex is a DTLS 1.3 HelloRetryRequest (RFC 8446, Section
// 4.1.4) asking for secp256r1 and carrying a cookie.
var helloRetryRequestHex = []string{
	"fefd",                    // legacy_version: DTLS 1.2
	hrrRandomHex,              // random: SHA-256("HelloRetryRequest")
	"00",                      // legacy_session_id_echo: empty
	"1301",                    // cipher_suite: TLS_AES_128_GCM_SHA256
	"00",                      // legacy_compression_method: null
	"0016",                    // extensions length: 22
	"002b 0002 fefc",          // supported_versions: selected_version DTLS 1.3
	"002c 0006 0004 01020304", // cookie
	"0033 0002 0017",          // key_share: selected_group secp256r1
}

var helloRetryRequest = ServerHello{
	Version:     0xfefd,
	Random:      HelloRetryRequestRandom,
	CipherSuite: 0x1301,
	Extensions:  Extensions{SelectedVersion: 0xfefc, Cookie: []byte{1, 2, 3, 4}, HRRGroup: 0x0017},
}

// serverHello13Hex is a DTLS 1.3 ServerHello accepting a PSK with an
// x25519 share (RFC 8446, Section 4.1.3).
var serverHello13Hex = []string{
	"fefd",                // legacy_version: DTLS 1.2
	testRandomHex,         // random
	"00",                  // legacy_session_id_echo: empty
	"1301",                // cipher_suite: TLS_AES_128_GCM_SHA256
	"00",                  // legacy_compression_method: null
	"0039",                // extensions length: 57
	"002b 0002 fefc",      // supported_versions: selected_version DTLS 1.3
	"0033 0024 001d 0020", // key_share: server_share x25519
	strings.Repeat("5e", 32),
	"0036 0001 00",   // connection_id: empty cid
	"0029 0002 0000", // pre_shared_key: selected_identity 0
}

var serverHello13 = ServerHello{
	Version:     0xfefd,
	Random:      testRandom,
	CipherSuite: 0x1301,
	Extensions: Extensions{
		SelectedVersion:     0xfefc,
		ServerShare:         KeyShare{Group: 0x001d, Data: serverShare32},
		HasConnectionID:     true,
		HasSelectedIdentity: true,
	},
}

func TestServerHello13Vectors(t *testing.T) {
	t.Run("HelloRetryRequest", func(t *testing.T) {
		raw := unhex(t, helloRetryRequestHex...)
		checkVector(t, &helloRetryRequest, newServerHello, raw, func(n int) bool { return n == 2+32+1+2+1 })
		var m ServerHello
		if !m.Unmarshal(raw) || !m.IsHelloRetryRequest() || m.Extensions.HRRGroup != 0x0017 {
			t.Errorf("parsed %+v; want a HelloRetryRequest for secp256r1", m)
		}
	})
	t.Run("ServerHello", func(t *testing.T) {
		raw := unhex(t, serverHello13Hex...)
		checkVector(t, &serverHello13, newServerHello, raw, func(n int) bool { return n == 2+32+1+2+1 })
		var m ServerHello
		if !m.Unmarshal(raw) || m.IsHelloRetryRequest() {
			t.Errorf("IsHelloRetryRequest of a ServerHello = true")
		}
	})
}

// TestServerHello13Forms checks that the Random picks the form of key_share
// and pre_shared_key, both ways.
func TestServerHello13Forms(t *testing.T) {
	for name, parts := range map[string][]string{
		"selected_group in a ServerHello":       {"fefd", testRandomHex, "00 1301 00", "0006 0033 0002 0017"},
		"server_share in a HelloRetryRequest":   {"fefd", hrrRandomHex, "00 1301 00", "0009 0033 0005 001d 0001 01"},
		"pre_shared_key in a HelloRetryRequest": {"fefd", hrrRandomHex, "00 1301 00", "0006 0029 0002 0000"},
		"versions list in a HelloRetryRequest":  {"fefd", hrrRandomHex, "00 1301 00", "0007 002b 0003 02 fefc"},
	} {
		var m ServerHello
		if m.Unmarshal(unhex(t, parts...)) {
			t.Errorf("%s: Unmarshal succeeded", name)
		}
	}
	for name, m := range map[string]ServerHello{
		"HelloRetryRequest with a server_share": {Random: HelloRetryRequestRandom, Extensions: Extensions{ServerShare: KeyShare{Group: 0x1d, Data: []byte{1}}}},
		"HelloRetryRequest with pre_shared_key": {Random: HelloRetryRequestRandom, Extensions: Extensions{HasSelectedIdentity: true}},
		"ServerHello with a selected_group":     {Random: testRandom, Extensions: Extensions{HRRGroup: 0x17}},
		"ServerHello with client_shares":        {Random: testRandom, Extensions: Extensions{HasKeyShares: true}},
	} {
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", name, err)
		}
	}
}
