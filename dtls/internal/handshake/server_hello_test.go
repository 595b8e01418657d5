package handshake

import (
	"strings"
	"testing"
)

func newServerHello() message { return new(ServerHello) }

var serverHelloVectorHex = []string{
	"fefd",        // server_version: DTLS 1.2
	testRandomHex, // random
	"20 b0b1b2b3b4b5b6b7b8b9babbbcbdbebfb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", // session_id: 32 bytes
	"c02b", // cipher_suite: ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	"00",   // compression_method: null
}

var serverHelloExtensionsHex = []string{
	"0018",            // extensions length: 24
	"0000 0000",       // server_name: acknowledgement
	"000b 0002 01 00", // ec_point_formats: uncompressed
	"000f 0001 02",    // heartbeat: peer_not_allowed_to_send
	"0017 0000",       // extended_master_secret
	"ff01 0001 00",    // renegotiation_info: empty
}

// serverHelloCIDHex is an extensions block with only connection_id, the
// cid the server wants to receive (RFC 9146, Section 3).
var serverHelloCIDHex = []string{
	"0007",              // extensions length: 7
	"0036 0003 02 5e4f", // connection_id: a 2-byte cid
}

var serverHelloVector = ServerHello{
	Version: 0xfefd,
	Random:  testRandom,
	SessionID: []byte{
		0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
		0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	},
	CipherSuite:       0xc02b,
	CompressionMethod: 0,
	Extensions: Extensions{
		ServerNameAck:        true,
		PointFormats:         []uint8{0},
		Heartbeat:            HeartbeatPeerNotAllowedToSend,
		ExtendedMasterSecret: true,
		SecureRenegotiation:  true,
	},
}

func TestServerHelloVectors(t *testing.T) {
	t.Run("DTLS 1.2 with extensions", func(t *testing.T) {
		head := unhex(t, serverHelloVectorHex...)
		raw := append(head, unhex(t, serverHelloExtensionsHex...)...)
		checkVector(t, &serverHelloVector, newServerHello, raw, func(n int) bool { return n == len(head) })
	})
	t.Run("DTLS 1.2 with connection_id", func(t *testing.T) {
		m := serverHelloVector
		m.Extensions = Extensions{HasConnectionID: true, ConnectionID: []byte{0x5e, 0x4f}}
		head := unhex(t, serverHelloVectorHex...)
		raw := append(head, unhex(t, serverHelloCIDHex...)...)
		checkVector(t, &m, newServerHello, raw, func(n int) bool { return n == len(head) })
	})
	t.Run("DTLS 1.0 without extensions", func(t *testing.T) {
		m := ServerHello{Version: 0xfeff, Random: testRandom, CipherSuite: 0x008c}
		raw := unhex(t,
			"feff",        // server_version: DTLS 1.0
			testRandomHex, // random
			"00",          // session_id: empty
			"008c",        // cipher_suite: PSK_WITH_AES_128_CBC_SHA
			"00",          // compression_method: null
		)
		checkVector(t, &m, newServerHello, raw, nil)
	})
}

func TestServerHelloUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
	}{
		{"session_id of 33 bytes", []string{"fefd", testRandomHex, "21", strings.Repeat("00", 33), "c02b 00"}},
		{"no compression_method", []string{"fefd", testRandomHex, "00 c02b"}},
		{"duplicate extension", []string{"fefd", testRandomHex, "00 c02b 00 000a ff01 0001 00 ff01 0001 00"}},
		{"byte after extensions", []string{"fefd", testRandomHex, "00 c02b 00 0004 0017 0000 00"}},
		{"connection_id cid past body", []string{"fefd", testRandomHex, "00 c02b 00 0006 0036 0002 02 5e"}},
		{"connection_id byte after cid", []string{"fefd", testRandomHex, "00 c02b 00 0008 0036 0004 02 5e4f 00"}},
	}
	for _, tt := range tests {
		var m ServerHello
		if m.Unmarshal(unhex(t, tt.parts...)) {
			t.Errorf("%s: Unmarshal succeeded", tt.name)
		}
	}
}

func TestServerHelloMarshalErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ServerHello)
	}{
		{"session_id of 33 bytes", func(m *ServerHello) { m.SessionID = make([]byte, 33) }},
		{"name and acknowledgement", func(m *ServerHello) { m.Extensions.ServerName = "example.com" }},
	}
	for _, tt := range tests {
		m := serverHelloVector
		tt.modify(&m)
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", tt.name, err)
		}
	}
}

func FuzzServerHello(f *testing.F) {
	addCaptured(f, TypeServerHello)
	f.Add(unhex(f, append(serverHelloVectorHex, serverHelloExtensionsHex...)...))
	f.Add(unhex(f, append(serverHelloVectorHex, serverHelloCIDHex...)...))
	f.Add(unhex(f, helloRetryRequestHex...))
	f.Add(unhex(f, serverHello13Hex...))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newServerHello, b, false)
	})
}
