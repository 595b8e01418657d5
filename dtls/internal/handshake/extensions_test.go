package handshake

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// extensionsBlock adapts Extensions, which hellos embed, to message, for
// the message ctx names (the zero value, a ClientHello, by default).
type extensionsBlock struct {
	Extensions
	ctx extContext
}

func (e *extensionsBlock) Marshal() ([]byte, error) {
	if err := e.check(e.ctx); err != nil {
		return nil, err
	}
	a := newAppender(64)
	e.marshal(&a)
	return a.result()
}

func (e *extensionsBlock) Unmarshal(block []byte) bool {
	s := cryptobyte.String(block)
	return e.unmarshal(&s, e.ctx)
}

func newExtensionsBlock() message { return new(extensionsBlock) }

// allExtensions has every extension this package knows, in the order and
// encoding of allExtensionsHex.
var allExtensions = Extensions{
	ServerName:           "example.com",
	SupportedGroups:      []uint16{0x001d, 0x0017},
	PointFormats:         []uint8{0},
	SignatureAlgorithms:  []uint16{0x0403, 0x0804},
	Heartbeat:            HeartbeatPeerAllowedToSend,
	ExtendedMasterSecret: true,
	HasConnectionID:      true,
	ConnectionID:         []byte{0x0a, 0x0b, 0x0c, 0x0d},
	SecureRenegotiation:  true,
	HasUseSRTP:           true,
	SRTPProfiles:         []uint16{0x0001, 0x0007},
	SRTPMKI:              []byte{0xab},
	ALPNProtocols:        []string{"h2", "coap"},
	EncryptThenMAC:       true,
}

var allExtensionsHex = []string{
	"0063", // extensions length: 99
	"0000 0010 000e 00 000b 6578616d706c652e636f6d", // server_name: host_name "example.com"
	"000a 0006 0004 001d 0017",                      // supported_groups: x25519, secp256r1
	"000b 0002 01 00",                               // ec_point_formats: uncompressed
	"000d 0006 0004 0403 0804",                      // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
	"000e 0008 0004 0001 0007 01 ab",                // use_srtp: SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM; MKI ab
	"000f 0001 01",                                  // heartbeat: peer_allowed_to_send
	"0010 000a 0008 02 6832 04 636f6170",            // ALPN: "h2", "coap"
	"0016 0000",                                     // encrypt_then_mac
	"0017 0000",                                     // extended_master_secret
	"0036 0005 04 0a0b0c0d",                         // connection_id: a 4-byte cid
	"ff01 0001 00",                                  // renegotiation_info: empty renegotiated_connection
}

func TestExtensionsVectors(t *testing.T) {
	tests := []struct {
		name string
		ext  Extensions
		raw  []string
	}{
		{"none", Extensions{}, nil},
		{"all", allExtensions, allExtensionsHex},
		{
			"server side",
			Extensions{
				ServerNameAck:       true,
				PointFormats:        []uint8{0, 1, 2},
				Heartbeat:           HeartbeatPeerNotAllowedToSend,
				SecureRenegotiation: true,
				RenegotiationInfo:   bytes.Repeat([]byte{0xc1}, 24),
			},
			[]string{
				"002e",                // extensions length: 46
				"0000 0000",           // server_name: empty acknowledgement
				"000b 0004 03 000102", // ec_point_formats
				"000f 0001 02",        // heartbeat: peer_not_allowed_to_send
				"ff01 0019 18",        // renegotiation_info: 24 bytes of verify data
				strings.Repeat("c1", 24),
			},
		},
		{
			// RFC 9146, Section 3: a zero-length cid, "I send with your
			// CID, but want none in the records you send me".
			"empty connection_id",
			Extensions{HasConnectionID: true},
			[]string{
				"0005",         // extensions length: 5
				"0036 0001 00", // connection_id: cid<0..2^8-1> of 0 bytes
			},
		},
		{
			// RFC 5077, Section 3.2: a client without a ticket that would
			// take one, or a server that will send one.
			"empty SessionTicket",
			Extensions{HasSessionTicket: true},
			[]string{
				"0004",      // extensions length: 4
				"0023 0000", // SessionTicket: no ticket
			},
		},
		{
			"SessionTicket with a ticket, beside extended_master_secret and connection_id",
			Extensions{ExtendedMasterSecret: true, HasSessionTicket: true, SessionTicket: []byte{1, 2, 3}, HasConnectionID: true},
			[]string{
				"0010",             // extensions length: 16
				"0017 0000",        // extended_master_secret
				"0023 0003 010203", // SessionTicket: the ticket, unprefixed
				"0036 0001 00",     // connection_id
			},
		},
		{
			"connection_id of 255 bytes",
			Extensions{HasConnectionID: true, ConnectionID: bytes.Repeat([]byte{0xc1}, 255)},
			[]string{
				"0104",         // extensions length: 260
				"0036 0100 ff", // connection_id: 256 bytes of extension_data, a 255-byte cid
				strings.Repeat("c1", 255),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The empty prefix is an absent block, which is valid.
			checkVector(t, &extensionsBlock{Extensions: tt.ext}, newExtensionsBlock, unhex(t, tt.raw...),
				func(n int) bool { return n == 0 })
		})
	}
}

// extensionsUnmarshalTests are extensions blocks that fail to parse, or
// parse into want.
var extensionsUnmarshalTests = []struct {
	name  string
	block string
	ok    bool
	want  Extensions
}{
	{"empty block", "0000", true, Extensions{}},
	{"unknown extensions skipped", "000c 0012 0000 0018 0000 0005 0000", true, Extensions{}},
	{"unknown extension with a body skipped", "0007 1234 0003 abcdef", true, Extensions{}},
	{"duplicate known extension", "0008 0017 0000 0017 0000", false, Extensions{}},
	{"duplicate unknown extension", "0008 0012 0000 0012 0000", false, Extensions{}},
	{"use_srtp two profiles, MKI", "000d 000e 0009 0004 0001 0007 02 abcd", true, Extensions{HasUseSRTP: true, SRTPProfiles: []uint16{1, 7}, SRTPMKI: []byte{0xab, 0xcd}}},
	{"use_srtp no MKI", "0009 000e 0005 0002 0008 00", true, Extensions{HasUseSRTP: true, SRTPProfiles: []uint16{8}}},
	{"use_srtp no profile", "0007 000e 0003 0000 00", false, Extensions{}},
	{"use_srtp odd profiles", "0008 000e 0004 0001 01 00", false, Extensions{}},
	{"use_srtp no MKI length", "0008 000e 0004 0002 0001", false, Extensions{}},
	{"ALPN two names", "000e 0010 000a 0008 02 6832 04 636f6170", true, Extensions{ALPNProtocols: []string{"h2", "coap"}}},
	{"ALPN empty list", "0006 0010 0002 0000", false, Extensions{}},
	{"ALPN empty name", "0007 0010 0003 0001 00", false, Extensions{}},
	{"ALPN name past list", "0008 0010 0004 0002 02 68", false, Extensions{}},
	{"SessionTicket empty", "0004 0023 0000", true, Extensions{HasSessionTicket: true, SessionTicket: []byte{}}},
	{"SessionTicket with a ticket", "0007 0023 0003 abcdef", true, Extensions{HasSessionTicket: true, SessionTicket: []byte{0xab, 0xcd, 0xef}}},
	{"duplicate SessionTicket", "0008 0023 0000 0023 0000", false, Extensions{}},
	{"block length too long", "0005 0017 0000", false, Extensions{}},
	{"extension length past block", "0004 0017 0001", false, Extensions{}},
	{"truncated extension header", "0003 0017 00", false, Extensions{}},
	{"extended_master_secret with a body", "0005 0017 0001 00", false, Extensions{}},
	{"encrypt_then_mac with a body", "0005 0016 0001 00", false, Extensions{}},
	{"server_name empty list", "0006 0000 0002 0000", false, Extensions{}},
	{"server_name empty host_name", "0009 0000 0005 0003 00 0000", false, Extensions{}},
	{"server_name trailing dot", "000b 0000 0007 0005 00 0002 612e", false, Extensions{}},
	{"server_name control character", "000a 0000 0006 0004 00 0001 0a", false, Extensions{}},
	{"server_name two host_names", "0010 0000 000c 000a 00 0002 6162 00 0002 6364", false, Extensions{}},
	{"server_name list length mismatch", "000a 0000 0006 0005 00 0001 61", false, Extensions{}},
	{"server_name bytes after list", "000b 0000 0007 0004 00 0001 61 00", false, Extensions{}},
	{
		"server_name unknown name type skipped",
		"0010 0000 000c 000a 07 0002 6162 00 0002 6364", true,
		Extensions{ServerName: "cd"},
	},
	{"server_name only unknown name types", "000b 0000 0007 0005 07 0002 6162", true, Extensions{}},
	{"supported_groups empty list", "0006 000a 0002 0000", false, Extensions{}},
	{"supported_groups odd length", "0009 000a 0005 0003 001d 00", false, Extensions{}},
	{"supported_groups trailing byte", "0009 000a 0005 0002 001d 00", false, Extensions{}},
	{"ec_point_formats empty list", "0005 000b 0001 00", false, Extensions{}},
	{"signature_algorithms empty list", "0006 000d 0002 0000", false, Extensions{}},
	{"heartbeat empty", "0004 000f 0000", false, Extensions{}},
	{"heartbeat mode 0", "0005 000f 0001 00", false, Extensions{}},
	{"heartbeat mode 3", "0005 000f 0001 03", false, Extensions{}},
	{"heartbeat trailing byte", "0006 000f 0002 0100", false, Extensions{}},
	{"renegotiation_info empty body", "0004 ff01 0000", false, Extensions{}},
	{"renegotiation_info length mismatch", "0006 ff01 0002 02 aa", false, Extensions{}},
	{"connection_id empty body", "0004 0036 0000", false, Extensions{}},
	{"connection_id cid past body", "0006 0036 0002 02 aa", false, Extensions{}},
	{"connection_id byte after cid", "0008 0036 0004 02 aabb cc", false, Extensions{}},
	{"connection_id body past block", "0006 0036 0003 02 aa", false, Extensions{}},
	{"duplicate connection_id", "000a 0036 0001 00 0036 0001 00", false, Extensions{}},
	{"connection_id empty cid", "0005 0036 0001 00", true, Extensions{HasConnectionID: true}},
	{
		"connection_id with a cid",
		"0007 0036 0003 02 aabb", true,
		Extensions{HasConnectionID: true, ConnectionID: []byte{0xaa, 0xbb}},
	},
	{
		"renegotiation_info with data",
		"0007 ff01 0003 02 aabb", true,
		Extensions{SecureRenegotiation: true, RenegotiationInfo: []byte{0xaa, 0xbb}},
	},
}

func TestExtensionsUnmarshal(t *testing.T) {
	for _, tt := range extensionsUnmarshalTests {
		t.Run(tt.name, func(t *testing.T) {
			var got extensionsBlock
			if ok := got.Unmarshal(unhex(t, tt.block)); ok != tt.ok {
				t.Fatalf("Unmarshal = %v, want %v", ok, tt.ok)
			}
			if !tt.ok {
				return
			}
			gotEnc, err1 := got.Marshal()
			wantEnc, err2 := (&extensionsBlock{Extensions: tt.want}).Marshal()
			if err1 != nil || err2 != nil || !bytes.Equal(gotEnc, wantEnc) {
				t.Errorf("Unmarshal gave %+v, want %+v", got.Extensions, tt.want)
			}
		})
	}
}

func TestExtensionsUnmarshalResets(t *testing.T) {
	e := extensionsBlock{Extensions: allExtensions}
	if !e.Unmarshal(nil) {
		t.Fatal("an absent block did not parse")
	}
	if !e.empty() {
		t.Errorf("Unmarshal left fields from before: %+v", e.Extensions)
	}
}

// TestExtensionsConnectionIDPresence checks that an absent connection_id
// and one with an empty cid stay apart (RFC 9146, Section 3), both ways.
func TestExtensionsConnectionIDPresence(t *testing.T) {
	tests := []struct {
		name  string
		block string
		has   bool
	}{
		{"absent block", "", false},
		{"other extensions only", "0004 0017 0000", false},
		{"empty cid", "0005 0036 0001 00", true},
	}
	for _, tt := range tests {
		var e extensionsBlock
		if !e.Unmarshal(unhex(t, tt.block)) {
			t.Fatalf("%s: Unmarshal failed", tt.name)
		}
		if e.HasConnectionID != tt.has || len(e.ConnectionID) != 0 {
			t.Errorf("%s: HasConnectionID = %v, ConnectionID = %x; want %v and none", tt.name, e.HasConnectionID, e.ConnectionID, tt.has)
		}
		enc, err := e.Marshal()
		if err != nil || !bytes.Equal(enc, unhex(t, tt.block)) {
			t.Errorf("%s: Marshal = %x, %v; want %s", tt.name, enc, err, tt.block)
		}
	}
}

func TestExtensionsMarshalErrors(t *testing.T) {
	long := make([]uint16, 20000)
	tests := []struct {
		name string
		ext  Extensions
	}{
		{"name and acknowledgement", Extensions{ServerName: "a", ServerNameAck: true}},
		{"name with trailing dot", Extensions{ServerName: "example.com."}},
		{"name with a space", Extensions{ServerName: "a b"}},
		{"name not ASCII", Extensions{ServerName: "ex\u00e4mple"}},
		{"name too long", Extensions{ServerName: strings.Repeat("a", 1<<16-5)}},
		{"heartbeat mode 3", Extensions{Heartbeat: 3}},
		{"renegotiation data without the extension", Extensions{RenegotiationInfo: []byte{1}}},
		{"renegotiation data too long", Extensions{SecureRenegotiation: true, RenegotiationInfo: make([]byte, 256)}},
		{"connection ID without the extension", Extensions{ConnectionID: []byte{1}}},
		{"connection ID too long", Extensions{HasConnectionID: true, ConnectionID: make([]byte, 256)}},
		{"session ticket without the extension", Extensions{SessionTicket: []byte{1}}},
		{"session ticket too long", Extensions{HasSessionTicket: true, SessionTicket: make([]byte, 1<<16)}},
		{"point formats too long", Extensions{PointFormats: make([]uint8, 256)}},
		{"groups too long", Extensions{SupportedGroups: make([]uint16, 1<<15)}},
		{"signature algorithms too long", Extensions{SignatureAlgorithms: make([]uint16, 1<<15)}},
		{"block too long", Extensions{SupportedGroups: long, SignatureAlgorithms: long}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&extensionsBlock{Extensions: tt.ext}).Marshal()
			if err == nil {
				t.Fatal("Marshal succeeded")
			}
			if !strings.HasPrefix(err.Error(), "dtls: ") {
				t.Errorf("error %q does not start with \"dtls: \"", err)
			}
		})
	}
}

func FuzzExtensions(f *testing.F) {
	f.Add(unhex(f, allExtensionsHex...))
	f.Add(unhex(f, "0010 0000 000c 000a 07 0002 6162 00 0002 6364"))
	f.Add(unhex(f, "0007 ff01 0003 02 aabb"))
	f.Add(unhex(f, "0005 0036 0001 00"))
	f.Add(unhex(f, "000d 0036 0009 08 0001020304050607"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newExtensionsBlock, b, false)
	})
}
