package handshake

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// allContexts lists every extContext, for tests that try each.
var allContexts = []extContext{inClientHello, inServerHello, inHelloRetryRequest, inEncryptedExtensions, inCertificateRequest}

// binderB1 is a 32-byte PSK binder, the shortest RFC 8446 allows.
var binderB1 = bytes.Repeat([]byte{0xb1}, 32)

// clientExtensions13 has every TLS 1.3 extension in its ClientHello form,
// beside connection_id, in the order and encoding of clientExtensions13Hex.
var clientExtensions13 = Extensions{
	EarlyData:               true,
	SupportedVersions:       []uint16{0xfefc, 0xfefd},
	Cookie:                  []byte{0xc0, 0x0c, 0x1e},
	PSKModes:                []uint8{PSKModeDHEKE},
	CertificateAuthorities:  [][]byte{unhexConst(testDNHex)},
	SignatureAlgorithmsCert: []uint16{0x0403},
	HasKeyShares:            true,
	KeyShares: []KeyShare{
		{Group: 0x001d, Data: []byte{0xa1, 0xa2, 0xa3, 0xa4}},
		{Group: 0x0017, Data: []byte{0xb1, 0xb2}},
	},
	HasConnectionID: true,
	ConnectionID:    []byte{0xaa},
	PSKIdentities:   []PSKIdentity{{Identity: []byte("id"), ObfuscatedTicketAge: 0x01020304}},
	PSKBinders:      [][]byte{binderB1},
}

var clientExtensions13Hex = []string{
	"0086",                              // extensions length: 134
	"002a 0000",                         // early_data
	"002b 0005 04 fefc fefd",            // supported_versions: DTLS 1.3, DTLS 1.2
	"002c 0005 0003 c00c1e",             // cookie
	"002d 0002 01 01",                   // psk_key_exchange_modes: psk_dhe_ke
	"002f 0013 0011 000f",               // certificate_authorities: one DN
	testDNHex,                           //
	"0032 0004 0002 0403",               // signature_algorithms_cert: ecdsa_secp256r1_sha256
	"0033 0010 000e",                    // key_share: client_shares of 14 bytes
	"001d 0004 a1a2a3a4",                // x25519
	"0017 0002 b1b2",                    // secp256r1
	"0036 0002 01 aa",                   // connection_id: a 1-byte cid (RFC 9147, Section 9)
	"0029 002d",                         // pre_shared_key, last
	"0008 0002 6964 01020304",           // identities: "id", obfuscated_ticket_age
	"0021 20", strings.Repeat("b1", 32), // binders: one of 32 bytes
}

// serverShare32 is a 32-byte key_exchange.
var serverShare32 = bytes.Repeat([]byte{0x5e}, 32)

func TestExtensionsTLS13Vectors(t *testing.T) {
	tests := []struct {
		name string
		ctx  extContext
		ext  Extensions
		raw  []string
	}{
		{"ClientHello, all", inClientHello, clientExtensions13, clientExtensions13Hex},
		{
			// RFC 8446, Section 4.2.8: a client may send no share at all,
			// to learn the server's group from a HelloRetryRequest.
			"ClientHello, empty client_shares",
			inClientHello,
			Extensions{SupportedVersions: []uint16{0xfefc}, HasKeyShares: true},
			[]string{"000d", "002b 0003 02 fefc", "0033 0002 0000"},
		},
		{
			"ServerHello",
			inServerHello,
			Extensions{
				SelectedVersion:     0xfefc,
				ServerShare:         KeyShare{Group: 0x001d, Data: serverShare32},
				HasConnectionID:     true,
				HasSelectedIdentity: true,
				SelectedIdentity:    0,
			},
			[]string{
				"0039",                // extensions length: 57
				"002b 0002 fefc",      // supported_versions: selected_version DTLS 1.3
				"0033 0024 001d 0020", // key_share: server_share x25519
				strings.Repeat("5e", 32),
				"0036 0001 00",   // connection_id: empty cid
				"0029 0002 0000", // pre_shared_key: selected_identity 0
			},
		},
		{
			"HelloRetryRequest",
			inHelloRetryRequest,
			Extensions{SelectedVersion: 0xfefc, Cookie: []byte{1, 2, 3, 4}, HRRGroup: 0x0017},
			[]string{
				"0016",                    // extensions length: 22
				"002b 0002 fefc",          // supported_versions: selected_version
				"002c 0006 0004 01020304", // cookie
				"0033 0002 0017",          // key_share: selected_group secp256r1
			},
		},
		{
			"EncryptedExtensions with early_data",
			inEncryptedExtensions,
			Extensions{SupportedGroups: []uint16{0x001d}, EarlyData: true, ALPNProtocols: []string{"coap"}},
			[]string{"0017", "000a 0004 0002 001d", "0010 0007 0005 04 636f6170", "002a 0000"},
		},
		{
			"CertificateRequest",
			inCertificateRequest,
			Extensions{SignatureAlgorithms: []uint16{0x0403, 0x0804}, SignatureAlgorithmsCert: []uint16{0x0403}},
			[]string{"0012", "000d 0006 0004 0403 0804", "0032 0004 0002 0403"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh := func() message { return &extensionsBlock{ctx: tt.ctx} }
			checkVector(t, &extensionsBlock{Extensions: tt.ext, ctx: tt.ctx}, fresh, unhex(t, tt.raw...),
				func(n int) bool { return n == 0 })
		})
	}
}

// extensionsTLS13UnmarshalTests are extensions blocks that fail to parse in
// ctx, or parse into want.
var extensionsTLS13UnmarshalTests = []struct {
	name  string
	ctx   extContext
	block string
	ok    bool
	want  Extensions
}{
	{"supported_versions one", inClientHello, "0007 002b 0003 02 fefc", true, Extensions{SupportedVersions: []uint16{0xfefc}}},
	{"supported_versions empty list", inClientHello, "0005 002b 0001 00", false, Extensions{}},
	{"supported_versions odd list", inClientHello, "0008 002b 0004 03 fefc fe", false, Extensions{}},
	{"supported_versions byte after list", inClientHello, "0008 002b 0004 02 fefc 00", false, Extensions{}},
	{"supported_versions server form in ClientHello", inClientHello, "0006 002b 0002 fefc", false, Extensions{}},
	{"supported_versions list in ServerHello", inServerHello, "0007 002b 0003 02 fefc", false, Extensions{}},
	{"supported_versions selected 0", inServerHello, "0006 002b 0002 0000", false, Extensions{}},
	{"supported_versions selected in HelloRetryRequest", inHelloRetryRequest, "0006 002b 0002 fefc", true, Extensions{SelectedVersion: 0xfefc}},
	{"supported_versions in EncryptedExtensions", inEncryptedExtensions, "0006 002b 0002 fefc", false, Extensions{}},
	{"supported_versions in CertificateRequest", inCertificateRequest, "0007 002b 0003 02 fefc", false, Extensions{}},
	{"key_share duplicate group", inClientHello, "0012 0033 000e 000c 001d 0002 0102 001d 0002 0304", false, Extensions{}},
	{"key_share empty key_exchange", inClientHello, "000a 0033 0006 0004 001d 0000", false, Extensions{}},
	{"key_share entry past list", inClientHello, "000c 0033 0008 0005 001d 0002 01 02", false, Extensions{}},
	{"key_share byte after list", inClientHello, "0009 0033 0005 0000 00 0000", false, Extensions{}},
	{"key_share server_share empty", inServerHello, "0008 0033 0004 001d 0000", false, Extensions{}},
	{"key_share server_share byte after", inServerHello, "000a 0033 0006 001d 0001 01 00", false, Extensions{}},
	{"key_share selected_group in ServerHello", inServerHello, "0006 0033 0002 0017", false, Extensions{}},
	{"key_share selected_group 0", inHelloRetryRequest, "0006 0033 0002 0000", false, Extensions{}},
	{"key_share server_share in HelloRetryRequest", inHelloRetryRequest, "0009 0033 0005 001d 0001 01", false, Extensions{}},
	{"key_share in EncryptedExtensions", inEncryptedExtensions, "0006 0033 0002 0017", false, Extensions{}},
	{
		"key_share server_share group 0 kept",
		inServerHello, "0009 0033 0005 0000 0001 01", true,
		Extensions{ServerShare: KeyShare{Data: []byte{1}}},
	},
	{"cookie empty", inHelloRetryRequest, "0006 002c 0002 0000", false, Extensions{}},
	{"cookie past body", inClientHello, "0007 002c 0003 0002 01", false, Extensions{}},
	{"cookie byte after", inClientHello, "0008 002c 0004 0001 01 00", false, Extensions{}},
	{"psk_key_exchange_modes empty", inClientHello, "0005 002d 0001 00", false, Extensions{}},
	{"psk_key_exchange_modes both", inClientHello, "0007 002d 0003 02 0001", true, Extensions{PSKModes: []uint8{PSKModeKE, PSKModeDHEKE}}},
	{"early_data with a body in a hello", inClientHello, "0008 002a 0004 00000400", false, Extensions{}},
	{"early_data twice", inClientHello, "0008 002a 0000 002a 0000", false, Extensions{}},
	{"signature_algorithms_cert empty", inClientHello, "0006 0032 0002 0000", false, Extensions{}},
	{"certificate_authorities empty list", inCertificateRequest, "0006 002f 0002 0000", false, Extensions{}},
	{"certificate_authorities empty DN", inCertificateRequest, "0008 002f 0004 0002 0000", false, Extensions{}},
	{"certificate_authorities two", inClientHello, "000e 002f 000a 0008 0001 aa 0003 bbccdd", true, Extensions{CertificateAuthorities: [][]byte{{0xaa}, {0xbb, 0xcc, 0xdd}}}},
	{"pre_shared_key not last", inClientHello, "0034 0029 002c 0007 0001 61 00000000 0021 20" + strings.Repeat("b1", 32) + " 0017 0000", false, Extensions{}},
	{
		"pre_shared_key last, unknown before",
		inClientHello, "0034 1234 0000 0029 002c 0007 0001 61 00000009 0021 20" + strings.Repeat("b1", 32), true,
		Extensions{PSKIdentities: []PSKIdentity{{[]byte("a"), 9}}, PSKBinders: [][]byte{binderB1}},
	},
	{"pre_shared_key in ServerHello need not be last", inServerHello, "000a 0029 0002 0001 0017 0000", true, Extensions{HasSelectedIdentity: true, SelectedIdentity: 1, ExtendedMasterSecret: true}},
	{"pre_shared_key more binders than identities", inClientHello, "0051 0029 004d 0007 0001 61 00000000 0042 20" + strings.Repeat("b1", 32) + "20" + strings.Repeat("b2", 32), false, Extensions{}},
	{"pre_shared_key binder of 31 bytes", inClientHello, "002f 0029 002b 0007 0001 61 00000000 0020 1f" + strings.Repeat("b1", 31), false, Extensions{}},
	{"pre_shared_key no identities", inClientHello, "0029 0029 0025 0000 0021 20" + strings.Repeat("b1", 32), false, Extensions{}},
	{"pre_shared_key empty identity", inClientHello, "002f 0029 002b 0006 0000 00000000 0021 20" + strings.Repeat("b1", 32), false, Extensions{}},
	{"pre_shared_key no binders", inClientHello, "000f 0029 000b 0007 0001 61 00000000 0000", false, Extensions{}},
	{"pre_shared_key identity without age", inClientHello, "002c 0029 0028 0003 0001 61 0021 20" + strings.Repeat("b1", 32), false, Extensions{}},
	{"pre_shared_key in HelloRetryRequest", inHelloRetryRequest, "0006 0029 0002 0000", false, Extensions{}},
	{"pre_shared_key selected_identity short", inServerHello, "0005 0029 0001 00", false, Extensions{}},
	{"pre_shared_key selected_identity long", inServerHello, "0007 0029 0003 000000", false, Extensions{}},
}

// wellFramed reports whether block is an extensions block whose length and
// extensions' lengths add up, so that a test failing to parse it fails for
// what is inside an extension, or for a duplicate.
func wellFramed(block []byte) bool {
	s := cryptobyte.String(block)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return false
	}
	for !list.Empty() {
		var body cryptobyte.String
		if !list.Skip(2) || !list.ReadUint16LengthPrefixed(&body) {
			return false
		}
	}
	return true
}

func TestExtensionsTLS13Unmarshal(t *testing.T) {
	for _, tt := range extensionsTLS13UnmarshalTests {
		t.Run(tt.name, func(t *testing.T) {
			block := unhex(t, tt.block)
			if !wellFramed(block) {
				t.Fatalf("the test block is not a well-framed list of extensions")
			}
			got := extensionsBlock{ctx: tt.ctx}
			if ok := got.Unmarshal(block); ok != tt.ok {
				t.Fatalf("Unmarshal in a %v = %v, want %v", tt.ctx, ok, tt.ok)
			}
			if !tt.ok {
				return
			}
			gotEnc, err1 := got.Marshal()
			wantEnc, err2 := (&extensionsBlock{Extensions: tt.want, ctx: tt.ctx}).Marshal()
			if err1 != nil || err2 != nil || !bytes.Equal(gotEnc, wantEnc) {
				t.Errorf("Unmarshal gave %+v (%v), want %+v (%v)", got.Extensions, err1, tt.want, err2)
			}
		})
	}
}

func TestExtensionsTLS13MarshalErrors(t *testing.T) {
	share := KeyShare{Group: 0x001d, Data: []byte{1}}
	tests := []struct {
		name string
		ctx  extContext
		ext  Extensions
	}{
		{"versions list in ServerHello", inServerHello, Extensions{SupportedVersions: []uint16{0xfefc}}},
		{"selected version in ClientHello", inClientHello, Extensions{SelectedVersion: 0xfefc}},
		{"selected version in EncryptedExtensions", inEncryptedExtensions, Extensions{SelectedVersion: 0xfefc}},
		{"128 versions", inClientHello, Extensions{SupportedVersions: make([]uint16, 128)}},
		{"client shares in ServerHello", inServerHello, Extensions{HasKeyShares: true}},
		{"client shares without HasKeyShares", inClientHello, Extensions{KeyShares: []KeyShare{share}}},
		{"duplicate group", inClientHello, Extensions{HasKeyShares: true, KeyShares: []KeyShare{share, share}}},
		{"empty client share", inClientHello, Extensions{HasKeyShares: true, KeyShares: []KeyShare{{Group: 0x001d}}}},
		{"server share in ClientHello", inClientHello, Extensions{ServerShare: share}},
		{"server share in HelloRetryRequest", inHelloRetryRequest, Extensions{ServerShare: share}},
		{"server share without key_exchange", inServerHello, Extensions{ServerShare: KeyShare{Group: 0x001d}}},
		{"selected group in ServerHello", inServerHello, Extensions{HRRGroup: 0x0017}},
		{"selected group in CertificateRequest", inCertificateRequest, Extensions{HRRGroup: 0x0017}},
		{"cookie too long", inHelloRetryRequest, Extensions{Cookie: make([]byte, 1<<16-2)}},
		{"256 PSK modes", inClientHello, Extensions{PSKModes: make([]uint8, 256)}},
		{"identities without binders", inClientHello, Extensions{PSKIdentities: []PSKIdentity{{Identity: []byte("a")}}}},
		{"binders without identities", inClientHello, Extensions{PSKBinders: [][]byte{binderB1}}},
		{"empty identity", inClientHello, Extensions{PSKIdentities: []PSKIdentity{{}}, PSKBinders: [][]byte{binderB1}}},
		{"binder of 31 bytes", inClientHello, Extensions{PSKIdentities: []PSKIdentity{{Identity: []byte("a")}}, PSKBinders: [][]byte{make([]byte, 31)}}},
		{"binder of 256 bytes", inClientHello, Extensions{PSKIdentities: []PSKIdentity{{Identity: []byte("a")}}, PSKBinders: [][]byte{make([]byte, 256)}}},
		{"offered PSKs in ServerHello", inServerHello, Extensions{PSKIdentities: []PSKIdentity{{Identity: []byte("a")}}, PSKBinders: [][]byte{binderB1}}},
		{"selected identity in ClientHello", inClientHello, Extensions{HasSelectedIdentity: true}},
		{"selected identity in HelloRetryRequest", inHelloRetryRequest, Extensions{HasSelectedIdentity: true}},
		{"empty DN", inCertificateRequest, Extensions{CertificateAuthorities: [][]byte{{}}}},
		{"signature_algorithms_cert too long", inClientHello, Extensions{SignatureAlgorithmsCert: make([]uint16, 1<<15)}},
		{"key shares overflow the extension", inClientHello, Extensions{HasKeyShares: true, KeyShares: []KeyShare{
			{Group: 1, Data: make([]byte, 1<<15)}, {Group: 2, Data: make([]byte, 1<<15)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&extensionsBlock{Extensions: tt.ext, ctx: tt.ctx}).Marshal()
			if err == nil {
				t.Fatal("Marshal succeeded")
			}
			if !strings.HasPrefix(err.Error(), "dtls: ") {
				t.Errorf("error %q does not start with \"dtls: \"", err)
			}
		})
	}
}

// TestExtensionsTLS13Empty checks that each TLS 1.3 field alone makes the
// block non-empty, so that Marshal writes it.
func TestExtensionsTLS13Empty(t *testing.T) {
	for _, e := range []Extensions{
		{SupportedVersions: []uint16{0xfefc}}, {SelectedVersion: 0xfefc}, {HasKeyShares: true},
		{ServerShare: KeyShare{Group: 1, Data: []byte{1}}}, {HRRGroup: 1}, {Cookie: []byte{1}},
		{PSKModes: []uint8{1}}, {HasSelectedIdentity: true}, {SignatureAlgorithmsCert: []uint16{0x0403}},
		{CertificateAuthorities: [][]byte{{1}}}, {EarlyData: true},
		{PSKIdentities: []PSKIdentity{{Identity: []byte("a")}}, PSKBinders: [][]byte{binderB1}},
	} {
		if e.empty() {
			t.Errorf("%+v is empty()", e)
		}
	}
}

func FuzzExtensionsTLS13(f *testing.F) {
	f.Add(uint8(inClientHello), unhex(f, clientExtensions13Hex...))
	f.Add(uint8(inClientHello), unhex(f, "000d", "002b 0003 02 fefc", "0033 0002 0000"))
	f.Add(uint8(inServerHello), unhex(f, "0039 002b 0002 fefc 0033 0024 001d 0020", strings.Repeat("5e", 32), "0036 0001 00 0029 0002 0000"))
	f.Add(uint8(inHelloRetryRequest), unhex(f, "0016 002b 0002 fefc 002c 0006 0004 01020304 0033 0002 0017"))
	f.Add(uint8(inEncryptedExtensions), unhex(f, "0017 000a 0004 0002 001d 0010 0007 0005 04 636f6170 002a 0000"))
	f.Add(uint8(inCertificateRequest), unhex(f, "0012 000d 0006 0004 0403 0804 0032 0004 0002 0403"))
	for _, m := range loadCaptures13(f) {
		if m.typ == TypeClientHello || m.typ == TypeServerHello {
			ctx, block := helloExtensionsBlock(f, m)
			f.Add(uint8(ctx), block)
		}
	}
	f.Fuzz(func(t *testing.T, ctx uint8, b []byte) {
		if int(ctx) >= len(allContexts) {
			return
		}
		checkStable(t, func() message { return &extensionsBlock{ctx: extContext(ctx)} }, b, false)
	})
}
