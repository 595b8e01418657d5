package peer

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestWolfSSLArgs(t *testing.T) {
	t.Parallel()
	chain := &Chain{CertFile: "chain.pem", KeyFile: "key.pem", CAFile: "ca.pem"}
	local := netip.MustParseAddrPort("127.0.0.1:4433")
	other := netip.MustParseAddrPort("10.0.0.1:4433")
	tests := []struct {
		name   string
		opts   Options
		server bool
		want   string
	}{
		{"server/cert", Options{Addr: local, Chain: chain}, true,
			"-u -v 4 -p 4433 -c chain.pem -k key.pem -A ca.pem -d -e"},
		{"server/psk12", Options{Version: DTLS12, Addr: other, PSK: &WolfSSLPSK, Suite: "TLS_PSK_WITH_AES_128_GCM_SHA256", Accept: 2}, true,
			"-u -v 3 -l TLS_PSK_WITH_AES_128_GCM_SHA256 -p 4433 -b -C 2 -s -d -e"},
		{"server/both", Options{Addr: local, Chain: chain, PSK: &WolfSSLPSK13, Accept: -1, NoTickets: true}, true,
			"-u -v 4 -p 4433 -i -c chain.pem -k key.pem -A ca.pem -j -d -T a -e"},
		// The server updates keys only when it does not echo.
		{"server/keyupdate", Options{Addr: local, PSK: &WolfSSLPSK13, MTU: 1200, Args: []string{WolfSSLServerKeyUpdate}}, true,
			"-u1172 -v 4 -p 4433 -s -d -U"},
		{"client/cert", Options{Addr: local, Chain: chain, Suite: "TLS_CHACHA20_POLY1305_SHA256"}, false,
			"-u -v 4 -l TLS_CHACHA20_POLY1305_SHA256 -h localhost -p 4433 -x -A ca.pem -m"},
		{"client/cert/other", Options{Addr: other, Chain: chain}, false,
			"-u -v 4 -h 10.0.0.1 -p 4433 -x -A ca.pem"},
		{"client/psk", Options{Addr: local, Chain: chain, PSK: &WolfSSLPSK13, Args: []string{WolfSSLClientResume}}, false,
			"-u -v 4 -h localhost -p 4433 -x -s -r"},
		{"client/noverify", Options{Version: DTLS12, Addr: local, MTU: 1000}, false,
			"-u972 -v 3 -h localhost -p 4433 -x -d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.opts.resolveWolfSSL(tt.server)
			if err != nil {
				t.Fatal(err)
			}
			args := wolfSSLClientArgs
			if tt.server {
				args = wolfSSLServerArgs
			}
			if got := strings.Join(args(o), " "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWolfSSLOptionsRefused(t *testing.T) {
	t.Parallel()
	chain := &Chain{}
	local := netip.MustParseAddrPort("127.0.0.1:4433")
	tests := []struct {
		name   string
		opts   Options
		server bool
	}{
		{"DTLS1.0", Options{Version: DTLS10, Chain: chain}, true},
		{"IPv6", Options{Addr: netip.MustParseAddrPort("[::1]:4433"), Chain: chain}, true},
		{"nothing to authenticate with", Options{}, true},
		{"other PSK", Options{PSK: &PSK{Key: []byte("0123456789abcdef"), Identity: "Client_identity"}}, true},
		{"PSK of the other version", Options{Version: DTLS12, PSK: &WolfSSLPSK13}, true},
		{"TLS 1.2 suite in DTLS 1.3", Options{Suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Chain: chain}, true},
		{"TLS 1.3 suite in DTLS 1.2", Options{Version: DTLS12, Suite: "TLS_AES_128_GCM_SHA256", Chain: chain}, true},
		{"client without address", Options{Chain: chain}, false},
		{"client refusing tickets", Options{Addr: local, NoTickets: true}, false},
	}
	for _, tt := range tests {
		if _, err := tt.opts.resolveWolfSSL(tt.server); err == nil {
			t.Errorf("%s: resolveWolfSSL accepted %+v", tt.name, tt.opts)
		}
	}
}

func TestWolfSSLPSK(t *testing.T) {
	t.Parallel()
	want := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	if len(WolfSSLPSK13.Key) != 32 || !slices.Equal(WolfSSLPSK13.Key[24:], want) {
		t.Errorf("WolfSSLPSK13.Key = %x", WolfSSLPSK13.Key)
	}
	for suite, want := range map[string]string{
		"TLS_AES_128_GCM_SHA256": "Client_identitySHA256",
		"TLS_AES_256_GCM_SHA384": "Client_identitySHA384",
	} {
		if got := WolfSSLPSK13Identity(suite); got != want {
			t.Errorf("WolfSSLPSK13Identity(%s) = %q, want %q", suite, got, want)
		}
	}
}
