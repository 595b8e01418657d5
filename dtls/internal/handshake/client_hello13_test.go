package handshake

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// clientHello13Hex is a DTLS 1.3 ClientHello without its extensions block
// (RFC 9147, Section 5.3): legacy_version DTLS 1.2, an empty
// legacy_session_id and legacy_cookie, TLS 1.3 suites, the null
// compression method.
var clientHello13Hex = []string{
	"fefd",           // legacy_version: DTLS 1.2
	testRandomHex,    // random
	"00",             // legacy_session_id: empty
	"00",             // legacy_cookie: empty
	"0004 1301 1302", // cipher_suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384
	"01 00",          // legacy_compression_methods: null
}

var clientHello13 = ClientHello{
	Version:            0xfefd,
	Random:             testRandom,
	CipherSuites:       []uint16{0x1301, 0x1302},
	CompressionMethods: []uint8{0},
	Extensions:         clientExtensions13,
}

func TestClientHello13Vector(t *testing.T) {
	head := unhex(t, clientHello13Hex...)
	raw := append(head, unhex(t, clientExtensions13Hex...)...)
	checkVector(t, &clientHello13, newClientHello, raw, func(n int) bool { return n == len(head) })
}

// TestClientHello13PSKNotLast moves pre_shared_key before connection_id:
// RFC 8446, Section 4.2.11 has servers reject that.
func TestClientHello13PSKNotLast(t *testing.T) {
	parts := slices.Clone(clientExtensions13Hex)
	n := len(parts)
	psk := slices.Clone(parts[n-4:]) // "0029 002d", identities, binders' length and the binder
	cid := parts[n-5]
	if !strings.HasPrefix(psk[0], "0029") || !strings.HasPrefix(cid, "0036") {
		t.Fatalf("clientExtensions13Hex changed: %q, %q", psk[0], cid)
	}
	reordered := append(append(parts[:n-5:n-5], psk...), cid)
	raw := unhex(t, append(slices.Clone(clientHello13Hex), reordered...)...)
	var m ClientHello
	if m.Unmarshal(raw) {
		t.Error("Unmarshal accepted pre_shared_key before connection_id")
	}
	// The same order is fine in a ServerHello, whose pre_shared_key can be
	// anywhere.
	sh := unhex(t, "fefd", testRandomHex, "00 1301 00", "000b", "0029 0002 0000", "0036 0001 00")
	var s ServerHello
	if !s.Unmarshal(sh) || !s.Extensions.HasSelectedIdentity || !s.Extensions.HasConnectionID {
		t.Error("a ServerHello with pre_shared_key before connection_id did not parse")
	}
}

func TestPSKBinders(t *testing.T) {
	m := clientHello13
	m.Extensions.PSKIdentities = []PSKIdentity{{Identity: []byte("a")}, {Identity: []byte("b"), ObfuscatedTicketAge: 7}}
	m.Extensions.PSKBinders = [][]byte{make([]byte, 32), make([]byte, 48)}
	if got, want := m.Extensions.PSKBindersLen(), 2+33+49; got != want {
		t.Fatalf("PSKBindersLen = %d, want %d", got, want)
	}
	body, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tail := unhex(t, "0052 20", strings.Repeat("00", 32), "30", strings.Repeat("00", 48))
	if !bytes.HasSuffix(body, tail) {
		t.Fatalf("body does not end with the binders: %x", body)
	}
	b1, b2 := bytes.Repeat([]byte{0x11}, 32), bytes.Repeat([]byte{0x22}, 48)
	for _, bad := range [][][]byte{
		nil,
		{b1},                // too few
		{b1, b2, b1},        // too many
		{b2, b1},            // lengths swapped
		{b1, b2[:47]},       // one byte short
		{b1, append(b2, 0)}, // one byte long
		{make([]byte, 79)},  // one binder as long as both
	} {
		orig := bytes.Clone(body)
		if err := SetPSKBinders(body, bad); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("SetPSKBinders(%d binders) = %v, want an error", len(bad), err)
		}
		if !bytes.Equal(body, orig) {
			t.Fatalf("a failed SetPSKBinders changed the body")
		}
	}
	if err := SetPSKBinders(body, [][]byte{b1, b2}); err != nil {
		t.Fatal(err)
	}
	var got ClientHello
	if !got.Unmarshal(body) || !bytes.Equal(got.Extensions.PSKBinders[0], b1) || !bytes.Equal(got.Extensions.PSKBinders[1], b2) {
		t.Fatalf("after SetPSKBinders: %+v", got.Extensions.PSKBinders)
	}
	if got.Extensions.PSKBindersLen() != m.Extensions.PSKBindersLen() {
		t.Errorf("PSKBindersLen of the parsed ClientHello = %d, want %d", got.Extensions.PSKBindersLen(), m.Extensions.PSKBindersLen())
	}
	if n := (&Extensions{}).PSKBindersLen(); n != 0 {
		t.Errorf("PSKBindersLen without PSKs = %d", n)
	}
	// A ClientHello without PSKs ends with no binders.
	plain := clientHelloVector
	noPSK, err := plain.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if SetPSKBinders(noPSK, [][]byte{b1}) == nil {
		t.Error("SetPSKBinders wrote binders into a ClientHello without any")
	}
}
