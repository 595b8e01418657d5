package peer

import (
	"net/netip"
	"slices"
	"testing"
)

func TestMbedTLSCommonArgs(t *testing.T) {
	t.Parallel()
	pskGCM, _ := LookupSuite("TLS_PSK_WITH_AES_128_GCM_SHA256")
	ecdsaCBC, _ := LookupSuite("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
	v4, v6 := netip.MustParseAddrPort("127.0.0.1:4433"), netip.MustParseAddrPort("[::1]:4433")
	tests := []struct {
		opts  Options
		suite *Suite
		want  []string
	}{
		{Options{Version: DTLS12}, nil, []string{"-dtls1_2"}},
		{Options{Version: DTLS10}, &ecdsaCBC, []string{"-dtls1", "-cipher", "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA"}},
		{Options{Version: DTLS12, PSK: &PSK{Key: []byte{0xab, 1}, Identity: "id", Hint: "ignored"}}, &pskGCM,
			[]string{"-dtls1_2", "-cipher", "TLS-PSK-WITH-AES-128-GCM-SHA256", "-psk", "ab01", "-psk_identity", "id"}},
		// Like GnuTLS, the programs take the datagram size, not the link MTU.
		{Options{Version: DTLS12, MTU: 600, Addr: v4, Args: []string{"-debug", "2"}}, nil,
			[]string{"-dtls1_2", "-mtu", "572", "-debug", "2"}},
		{Options{Version: DTLS12, MTU: 1500, Addr: v6}, nil, []string{"-dtls1_2", "-mtu", "1452"}},
	}
	for _, tt := range tests {
		if got := mbedTLSCommonArgs(tt.opts, tt.suite); !slices.Equal(got, tt.want) {
			t.Errorf("mbedTLSCommonArgs(%+v, %v) = %q, want %q", tt.opts, tt.suite, got, tt.want)
		}
	}
}

func TestMbedTLSName(t *testing.T) {
	t.Parallel()
	s, _ := LookupSuite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
	if got, want := MbedTLSName(s), "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"; got != want {
		t.Errorf("MbedTLSName(%s) = %q, want %q", s.Name, got, want)
	}
}
