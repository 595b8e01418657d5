package main

import (
	"context"
	"net"

	"github.com/pathdtls/pathdtls/dtls"
	dtls4 "github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v4/pkg/crypto/elliptic"
	"github.com/pion/dtls/v4/pkg/protocol"
)

// pion4Impl runs pion/dtls v4 in DTLS 1.3 only (RFC 9147), through its
// public API: TLS_AES_128_GCM_SHA256 with X25519 as the only group (its
// default would lead with X25519MLKEM768 on a server), and the
// certificate chain or an external PSK, which its server takes in
// psk_dhe_ke mode when the groups meet (RFC 8446 §4.2.9). Its defaults
// stay otherwise, among them its server's stateless cookie: every first
// ClientHello is answered with a HelloRetryRequest carrying a cookie.
type pion4Impl struct{ pki *pki }

func (pion4Impl) name() string    { return "pion v4 DTLS 1.3" }
func (pion4Impl) secure() bool    { return true }
func (pion4Impl) version() uint16 { return dtls.VersionDTLS13 }

// options returns the options both sides of s share.
func (pion4Impl) options() []dtls4.Option {
	return []dtls4.Option{
		dtls4.WithMinVersion(protocol.Version1_3),
		dtls4.WithMaxVersion(protocol.Version1_3),
		dtls4.WithCipherSuites(ciphersuite.TLS_AES_128_GCM_SHA256),
		dtls4.WithEllipticCurves(elliptic.X25519),
	}
}

// pion4PSK is the external PSK of the PSK suite, as pion/dtls v4 takes it
// (SHA-256, the hash of TLS_AES_128_GCM_SHA256).
var pion4PSK = dtls4.PSK{Identity: pskIdentity, Key: pskKey}

func (p pion4Impl) listen(s suite) (net.Listener, error) {
	var opts []dtls4.ServerOption
	for _, o := range p.options() {
		opts = append(opts, o)
	}
	if s.psk {
		opts = append(opts, dtls4.WithPSK(nil, func(ids [][]byte) (*dtls4.PSK, error) {
			for _, id := range ids {
				if string(id) == string(pion4PSK.Identity) {
					psk := pion4PSK
					return &psk, nil
				}
			}
			return nil, nil
		}))
	} else {
		opts = append(opts, dtls4.WithCertificates(p.pki.cert))
	}
	return dtls4.ListenAddr("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, opts...)
}

func (pion4Impl) acceptsEstablished() bool { return false }

func (pion4Impl) serverHandshake(ctx context.Context, c net.Conn) error {
	return c.(*dtls4.Conn).HandshakeContext(ctx)
}

func (p pion4Impl) dial(ctx context.Context, addr net.Addr, s suite) (net.Conn, error) {
	var opts []dtls4.ClientOption
	for _, o := range p.options() {
		opts = append(opts, o)
	}
	if s.psk {
		opts = append(opts, dtls4.WithPSK(func() ([]dtls4.PSK, error) { return []dtls4.PSK{pion4PSK}, nil }, nil))
	} else {
		opts = append(opts, dtls4.WithRootCAs(p.pki.pool), dtls4.WithServerName(serverName))
	}
	c, err := dtls4.Dial("udp4", addr.(*net.UDPAddr), opts...)
	if err != nil {
		return nil, err
	}
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (pion4Impl) negotiated(c net.Conn) (version, suite uint16) {
	st, ok := c.(*dtls4.Conn).ConnectionState()
	if !ok {
		return 0, 0
	}
	return uint16(st.NegotiatedVersion()), uint16(st.CipherSuiteID)
}

func (pion4Impl) awaitPayload(context.Context, net.Conn, int) error { return nil }

func (pion4Impl) writeBurst(c net.Conn, burst [][]byte) (int, error) {
	return writeEach(c, burst)
}

func (pion4Impl) libraryDrops(net.Conn) (uint64, bool) { return 0, false }
