package peer

import (
	"net/netip"
	"slices"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	ecdsaGCM, _ := LookupSuite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
	tests := []struct {
		name    string
		opts    Options
		server  bool
		addr    netip.Addr // of the resolved address, whose port must not be zero
		suite   *Suite
		wantErr bool
	}{
		{name: "server defaults", server: true, addr: netip.MustParseAddr("127.0.0.1")},
		{name: "server IPv6", opts: Options{Addr: netip.MustParseAddrPort("[::1]:0")}, server: true, addr: netip.IPv6Loopback()},
		{name: "server suite", opts: Options{Suite: ecdsaGCM.Name}, server: true, addr: netip.MustParseAddr("127.0.0.1"), suite: &ecdsaGCM},
		{name: "client", opts: Options{Addr: netip.MustParseAddrPort("127.0.0.1:4433")}, addr: netip.MustParseAddr("127.0.0.1")},
		{name: "client without address", wantErr: true},
		{name: "client without port", opts: Options{Addr: netip.MustParseAddrPort("127.0.0.1:0")}, wantErr: true},
		{name: "unknown suite", opts: Options{Suite: "TLS_NULL_WITH_NULL_NULL"}, server: true, wantErr: true},
		{name: "AEAD in DTLS 1.0", opts: Options{Version: DTLS10, Suite: ecdsaGCM.Name}, server: true, wantErr: true},
		{name: "TLS 1.2", opts: Options{Version: 0x0303}, server: true, wantErr: true},
		{name: "server in a namespace", opts: Options{Addr: netip.MustParseAddrPort("198.18.1.2:4433"), Netns: "ns"}, server: true, addr: netip.MustParseAddr("198.18.1.2")},
		{name: "client in a namespace", opts: Options{Addr: netip.MustParseAddrPort("198.18.1.2:4433"), Netns: "ns"}, addr: netip.MustParseAddr("198.18.1.2")},
		{name: "server in a namespace without port", opts: Options{Addr: netip.MustParseAddrPort("198.18.1.2:0"), Netns: "ns"}, server: true, wantErr: true},
		{name: "server in a namespace without address", opts: Options{Netns: "ns"}, server: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, suite, err := tt.opts.resolve(tt.server)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("resolve = %+v, %v, nil; want an error", got, suite)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != DTLS12 || got.Addr.Addr() != tt.addr || got.Addr.Port() == 0 {
				t.Errorf("resolve = version %v, address %v; want DTLS 1.2 on %v", got.Version, got.Addr, tt.addr)
			}
			if (suite == nil) != (tt.suite == nil) || suite != nil && *suite != *tt.suite {
				t.Errorf("resolve = suite %v, want %v", suite, tt.suite)
			}
		})
	}
}

func TestOpenSSLCommonArgs(t *testing.T) {
	t.Parallel()
	ecdsaCBC, _ := LookupSuite("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
	tests := []struct {
		opts  Options
		suite *Suite
		want  []string
	}{
		{Options{Version: DTLS12}, nil, nil},
		{Options{Version: DTLS12}, &ecdsaCBC, []string{"-cipher", "ECDHE-ECDSA-AES128-SHA"}},
		{Options{Version: DTLS10}, nil, []string{"-cipher", "DEFAULT:@SECLEVEL=0"}},
		{Options{Version: DTLS10}, &ecdsaCBC, []string{"-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"}},
		{Options{Version: DTLS12, MTU: 1200, Args: []string{"-msg"}}, nil, []string{"-mtu", "1200", "-msg"}},
	}
	for _, tt := range tests {
		if got := openSSLCommonArgs(tt.opts, tt.suite); !slices.Equal(got, tt.want) {
			t.Errorf("openSSLCommonArgs(%+v, %v) = %q, want %q", tt.opts, tt.suite, got, tt.want)
		}
	}
}

func TestGnuTLSArgs(t *testing.T) {
	t.Parallel()
	psk := &PSK{Key: []byte{1}, Identity: "id"}
	chain := &Chain{}
	pskGCM, _ := LookupSuite("TLS_PSK_WITH_AES_128_GCM_SHA256")
	priorities := []struct {
		opts  Options
		suite *Suite
		want  string
	}{
		{Options{Version: DTLS12, Chain: chain}, nil, "NORMAL:-VERS-ALL:+VERS-DTLS1.2"},
		{Options{Version: DTLS10, Chain: chain}, nil, "NORMAL:-VERS-ALL:+VERS-DTLS1.0"},
		{Options{Version: DTLS12, PSK: psk}, nil, "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK"},
		{Options{Version: DTLS12, PSK: psk, Chain: chain}, nil, "NORMAL:-VERS-ALL:+VERS-DTLS1.2:+PSK"},
		{Options{Version: DTLS12, PSK: psk}, &pskGCM,
			"NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:-CIPHER-ALL:-MAC-ALL:+PSK:+AES-128-GCM:+AEAD"},
	}
	for _, tt := range priorities {
		if got := gnuTLSPriority(tt.opts, tt.suite); got != tt.want {
			t.Errorf("gnuTLSPriority(%+v, %v) = %q, want %q", tt.opts, tt.suite, got, tt.want)
		}
	}

	// GnuTLS takes the datagram size, not the link MTU.
	mtus := []struct {
		addr string
		want []string
	}{
		{"127.0.0.1:4433", []string{"--mtu", "1472", "-d", "4"}},
		{"[::1]:4433", []string{"--mtu", "1452", "-d", "4"}},
		{"[::ffff:127.0.0.1]:4433", []string{"--mtu", "1472", "-d", "4"}},
	}
	for _, tt := range mtus {
		opts := Options{MTU: 1500, Addr: netip.MustParseAddrPort(tt.addr), Args: []string{"-d", "4"}}
		if got := gnuTLSCommonArgs(opts); !slices.Equal(got, tt.want) {
			t.Errorf("gnuTLSCommonArgs for MTU 1500 to %s = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestNetnsExecArgs(t *testing.T) {
	t.Parallel()
	got := netnsExecArgs("pathdtls-1-server", "/usr/bin/openssl", []string{"s_server", "-listen"})
	want := []string{"netns", "exec", "pathdtls-1-server", "/usr/bin/openssl", "s_server", "-listen"}
	if !slices.Equal(got, want) {
		t.Errorf("netnsExecArgs = %q, want %q", got, want)
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s    interface{ String() string }
		want string
	}{
		{DTLS10, "DTLS 1.0"},
		{DTLS12, "DTLS 1.2"},
		{Version(0x0303), "Version(0x0303)"},
		{ECDSAP256, "ECDSA P-256"},
		{RSA2048, "RSA 2048"},
		{RSA4096, "RSA 4096"},
		{KeyType(7), "KeyType(7)"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
