package tests

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// DTLS-SRTP (RFC 5764) and ALPN (RFC 7301) with OpenSSL and GnuTLS, both
// roles: the peer and we agree on the SRTP profile and the application
// protocol, and export the same 60 bytes of SRTP keying material
// (EXTRACTOR-dtls_srtp), which each tool prints.

// srtpALPN is the application protocol both sides must agree on.
const srtpALPN = "h2"

// srtpConfig adds DTLS-SRTP and ALPN to cfg, with the profile the peers
// call SRTP_AES128_CM_SHA1_80 (OpenSSL) and SRTP_AES128_CM_HMAC_SHA1_80
// (GnuTLS) among others, and "h2" among the protocols.
func srtpConfig(cfg *dtls.Config) *dtls.Config {
	cfg.SRTPProtectionProfiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.SRTP_AEAD_AES_128_GCM}
	cfg.NextProtos = []string{srtpALPN, "coap"}
	return cfg
}

// checkSRTP checks our side's state and that the keying material equals
// the hex the peer printed.
func checkSRTP(t *testing.T, conn *transport.Conn, peerHex string) {
	t.Helper()
	st := conn.ConnectionState()
	if st.SRTPProtectionProfile != dtls.SRTP_AES128_CM_HMAC_SHA1_80 || st.NegotiatedProtocol != srtpALPN {
		t.Fatalf("profile %v, protocol %q", st.SRTPProtectionProfile, st.NegotiatedProtocol)
	}
	km, err := st.ExportKeyingMaterial(dtls.SRTPKeyingMaterialLabel, nil, st.SRTPProtectionProfile.KeyingMaterialLen())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(km)); got != strings.ToUpper(peerHex) {
		t.Errorf("keying material %s, the peer's %s", got, peerHex)
	}
}

var (
	openSSLSRTPArgs = []string{"-use_srtp", "SRTP_AES128_CM_SHA1_80", "-keymatexport", dtls.SRTPKeyingMaterialLabel, "-keymatexportlen", "60"}
	gnuTLSSRTPArgs  = []string{"--srtp-profiles=SRTP_AES128_CM_HMAC_SHA1_80", "--keymatexport=" + dtls.SRTPKeyingMaterialLabel, "--keymatexportsize=60", "--alpn=" + srtpALPN}
)

const openSSLKeyingMaterial = `(?m)^\s+Keying material: ([0-9A-F]+)$`

func TestInteropOpenSSLSRTP(t *testing.T) {
	t.Parallel()
	c := newInteropCase(t, peer.DTLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", newInteropChains(t, false))
	t.Run("our server", func(t *testing.T) {
		t.Parallel()
		l := listen(t, srtpConfig(c.serverConfig(t)))
		opts := c.peerOptions()
		opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
		opts.Args = append(openSSLSRTPArgs, "-alpn", "coap,"+srtpALPN)
		opts.Stdin = peer.Script{{Await: openSSLKeyingMaterial, Close: true}}
		client := peer.OpenSSLClient(t, opts)
		conn := accept(t, l)
		km := client.Await(t, openSSLKeyingMaterial, interopTimeout)[1]
		client.Await(t, `(?m)^ALPN protocol: h2$`, interopTimeout)
		client.Await(t, `(?m)^SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80$`, interopTimeout)
		checkSRTP(t, conn, km)
	})
	t.Run("our client", func(t *testing.T) {
		t.Parallel()
		opts := c.peerOptions()
		opts.Args = append(openSSLSRTPArgs, "-alpn", srtpALPN)
		server := peer.OpenSSLServer(t, opts)
		conn := dial(t, server.Addr, srtpConfig(c.clientConfig(t)))
		km := server.Await(t, openSSLKeyingMaterial, interopTimeout)[1]
		server.Await(t, `(?m)^ALPN protocols selected: h2$`, interopTimeout)
		checkSRTP(t, conn, km)
	})
}

const gnuTLSKeyingMaterial = `(?m)^- Key material: ([0-9A-Fa-f]+)$`

func TestInteropGnuTLSSRTP(t *testing.T) {
	t.Parallel()
	c := newInteropCase(t, peer.DTLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", newInteropChains(t, false))
	t.Run("our server", func(t *testing.T) {
		t.Parallel()
		l := listen(t, srtpConfig(c.serverConfig(t)))
		opts := c.peerOptions()
		opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
		opts.Args = gnuTLSSRTPArgs
		client := peer.GnuTLSClient(t, opts)
		conn := accept(t, l)
		km := client.Await(t, gnuTLSKeyingMaterial, interopTimeout)[1]
		checkSRTP(t, conn, km)
	})
	t.Run("our client", func(t *testing.T) {
		t.Parallel()
		opts := c.peerOptions()
		opts.Args = gnuTLSSRTPArgs
		server := peer.GnuTLSServer(t, opts)
		ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
		defer cancel()
		conn, err := transport.Dial(ctx, "udp", server.Addr.String(), srtpConfig(c.clientConfig(t)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		writeLine(t, conn, "hello")
		readLine(t, conn, "hello")
		// gnutls-serv prints no keying material: the profile and protocol
		// it chose are checked, the material against gnutls-cli and OpenSSL.
		st := conn.ConnectionState()
		if st.SRTPProtectionProfile != dtls.SRTP_AES128_CM_HMAC_SHA1_80 || st.NegotiatedProtocol != srtpALPN {
			t.Fatalf("profile %v, protocol %q", st.SRTPProtectionProfile, st.NegotiatedProtocol)
		}
	})
}
