package handshake

import (
	"strings"
	"testing"
)

func newClientHello() message { return new(ClientHello) }

// testRandom is 00 01 02 ... 1f.
var testRandom = [32]byte{
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
}

const testRandomHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// clientHelloVectorHex is a DTLS 1.2 ClientHello carrying a cookie, without
// its extensions block.
var clientHelloVectorHex = []string{
	"fefd",                // client_version: DTLS 1.2
	testRandomHex,         // random
	"04 a1a2a3a4",         // session_id
	"08 c1c2c3c4c5c6c7c8", // cookie
	"0004 c02b 00a8",      // cipher_suites: ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, PSK_WITH_AES_128_GCM_SHA256
	"01 00",               // compression_methods: null
}

var clientHelloVector = ClientHello{
	Version:            0xfefd,
	Random:             testRandom,
	SessionID:          []byte{0xa1, 0xa2, 0xa3, 0xa4},
	Cookie:             []byte{0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8},
	CipherSuites:       []uint16{0xc02b, 0x00a8},
	CompressionMethods: []uint8{0},
	Extensions:         allExtensions,
}

func TestClientHelloVectors(t *testing.T) {
	t.Run("DTLS 1.2 with extensions", func(t *testing.T) {
		head := unhex(t, clientHelloVectorHex...)
		raw := append(head, unhex(t, allExtensionsHex...)...)
		checkVector(t, &clientHelloVector, newClientHello, raw, func(n int) bool { return n == len(head) })
	})
	t.Run("DTLS 1.0 without extensions", func(t *testing.T) {
		m := ClientHello{
			Version:            0xfeff,
			Random:             testRandom,
			CipherSuites:       []uint16{0xc00a},
			CompressionMethods: []uint8{0},
		}
		raw := unhex(t,
			"feff",        // client_version: DTLS 1.0
			testRandomHex, // random
			"00",          // session_id: empty
			"00",          // cookie: empty
			"0002 c00a",   // cipher_suites: ECDHE_ECDSA_WITH_AES_256_CBC_SHA
			"01 00",       // compression_methods: null
		)
		checkVector(t, &m, newClientHello, raw, nil)
	})
}

func TestClientHelloUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
	}{
		{"session_id of 33 bytes", []string{"fefd", testRandomHex, "21", strings.Repeat("00", 33), "00 0002 c02b 01 00"}},
		{"no cipher_suites", []string{"fefd", testRandomHex, "00 00 0000 01 00"}},
		{"odd cipher_suites length", []string{"fefd", testRandomHex, "00 00 0003 c02b 00 01 00"}},
		{"no compression_methods", []string{"fefd", testRandomHex, "00 00 0002 c02b 00"}},
		{"duplicate extension", []string{"fefd", testRandomHex, "00 00 0002 c02b 01 00 0008 0017 0000 0017 0000"}},
		{"byte after extensions", []string{"fefd", testRandomHex, "00 00 0002 c02b 01 00 0004 0017 0000 00"}},
		{"one byte where extensions go", []string{"fefd", testRandomHex, "00 00 0002 c02b 01 00 00"}},
	}
	for _, tt := range tests {
		var m ClientHello
		if m.Unmarshal(unhex(t, tt.parts...)) {
			t.Errorf("%s: Unmarshal succeeded", tt.name)
		}
	}
}

func TestClientHelloMarshalErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ClientHello)
	}{
		{"session_id of 33 bytes", func(m *ClientHello) { m.SessionID = make([]byte, 33) }},
		{"cookie of 256 bytes", func(m *ClientHello) { m.Cookie = make([]byte, 256) }},
		{"no cipher suites", func(m *ClientHello) { m.CipherSuites = nil }},
		{"too many cipher suites", func(m *ClientHello) { m.CipherSuites = make([]uint16, 1<<15) }},
		{"no compression methods", func(m *ClientHello) { m.CompressionMethods = nil }},
		{"256 compression methods", func(m *ClientHello) { m.CompressionMethods = make([]uint8, 256) }},
		{"bad extension", func(m *ClientHello) { m.Extensions.Heartbeat = 7 }},
	}
	for _, tt := range tests {
		m := clientHelloVector
		tt.modify(&m)
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", tt.name, err)
		}
	}
}

func TestClientHelloAliasesBody(t *testing.T) {
	raw := unhex(t, append(clientHelloVectorHex, allExtensionsHex...)...)
	var m ClientHello
	if !m.Unmarshal(raw) {
		t.Fatal("Unmarshal failed")
	}
	for _, s := range [][]byte{m.SessionID, m.Cookie, m.CompressionMethods, m.Extensions.ConnectionID} {
		if cap(s) != len(s) {
			t.Errorf("field %x has spare capacity %d: appending would overwrite the body", s, cap(s)-len(s))
		}
	}
	raw[2+32+1] = 0xff // the first byte of the session ID, after its length

	if m.SessionID[0] != 0xff {
		t.Errorf("SessionID does not alias the body")
	}
}

func FuzzClientHello(f *testing.F) {
	addCaptured(f, TypeClientHello)
	f.Add(unhex(f, append(clientHelloVectorHex, allExtensionsHex...)...))
	f.Add(unhex(f, clientHelloVectorHex...))
	f.Add(unhex(f, append(clientHello13Hex, clientExtensions13Hex...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newClientHello, b, false)
	})
}
