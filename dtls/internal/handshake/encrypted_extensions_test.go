package handshake

import (
	"strings"
	"testing"
)

func newEncryptedExtensions() message { return new(EncryptedExtensions) }

var encryptedExtensionsHex = []string{
	"0017",                       // extensions length: 23
	"000a 0004 0002 001d",        // supported_groups: x25519
	"0010 0007 0005 04 636f6170", // ALPN: "coap"
	"002a 0000",                  // early_data
}

func TestEncryptedExtensionsVectors(t *testing.T) {
	tests := []struct {
		name string
		m    EncryptedExtensions
		raw  []string
	}{
		{"none", EncryptedExtensions{}, []string{"0000"}},
		{
			"groups, ALPN, early_data",
			EncryptedExtensions{Extensions{SupportedGroups: []uint16{0x001d}, ALPNProtocols: []string{"coap"}, EarlyData: true}},
			encryptedExtensionsHex,
		},
		{
			"server_name and use_srtp",
			EncryptedExtensions{Extensions{ServerNameAck: true, HasUseSRTP: true, SRTPProfiles: []uint16{0x0007}}},
			[]string{"000d", "0000 0000", "000e 0005 0002 0007 00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newEncryptedExtensions, unhex(t, tt.raw...), nil)
		})
	}
}

func TestEncryptedExtensionsMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty body":             "",
		"one byte":               "00",
		"trailing byte":          "0000 00",
		"block past the end":     "0004 0017",
		"supported_versions":     "0006 002b 0002 fefc",
		"key_share":              "0006 0033 0002 0017",
		"pre_shared_key":         "0006 0029 0002 0000",
		"duplicate extension":    "0008 002a 0000 002a 0000",
		"early_data with a body": "0008 002a 0004 00000400",
	} {
		var m EncryptedExtensions
		if m.Unmarshal(unhex(t, raw)) {
			t.Errorf("%s: Unmarshal accepted %q", name, raw)
		}
	}
	for name, m := range map[string]EncryptedExtensions{
		"supported_versions": {Extensions{SelectedVersion: 0xfefc}},
		"key_share":          {Extensions{HasKeyShares: true}},
		"pre_shared_key":     {Extensions{HasSelectedIdentity: true}},
		"bad heartbeat":      {Extensions{Heartbeat: 9}},
	} {
		if _, err := m.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
			t.Errorf("%s: Marshal error = %v, want one starting with \"dtls: \"", name, err)
		}
	}
}

func FuzzEncryptedExtensions(f *testing.F) {
	f.Add(unhex(f, "0000"))
	f.Add(unhex(f, encryptedExtensionsHex...))
	f.Add(unhex(f, "000d 0000 0000 000e 0005 0002 0007 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newEncryptedExtensions, b, false)
	})
}
