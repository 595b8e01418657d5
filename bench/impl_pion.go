package main

import (
	"context"
	"net"

	pathdtls "github.com/pathdtls/pathdtls/dtls"
	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/elliptic"
)

// pionImpl runs pion/dtls v3 through its public API, with the options its
// documentation gives for each suite and its defaults otherwise (among
// them its stateless cookie exchange).
type pionImpl struct{ pki *pki }

func (pionImpl) name() string    { return "pion" }
func (pionImpl) secure() bool    { return true }
func (pionImpl) version() uint16 { return pathdtls.VersionDTLS12 }

// options returns the options both sides of s share.
func (p pionImpl) options(s suite) []dtls.Option {
	if s.psk {
		return []dtls.Option{
			dtls.WithCipherSuites(dtls.TLS_PSK_WITH_AES_128_GCM_SHA256),
			dtls.WithPSK(func([]byte) ([]byte, error) { return pskKey, nil }),
		}
	}
	return []dtls.Option{
		dtls.WithCipherSuites(dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
		dtls.WithEllipticCurves(elliptic.P256),
	}
}

func (p pionImpl) listen(s suite) (net.Listener, error) {
	var opts []dtls.ServerOption
	for _, o := range p.options(s) {
		opts = append(opts, o)
	}
	if s.psk {
		opts = append(opts, dtls.WithPSKIdentityHint(pskHint))
	} else {
		opts = append(opts, dtls.WithCertificates(p.pki.cert))
	}
	return dtls.ListenWithOptions("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, opts...)
}

func (pionImpl) acceptsEstablished() bool { return false }

func (pionImpl) serverHandshake(ctx context.Context, c net.Conn) error {
	return c.(*dtls.Conn).HandshakeContext(ctx)
}

func (p pionImpl) dial(ctx context.Context, addr net.Addr, s suite) (net.Conn, error) {
	var opts []dtls.ClientOption
	for _, o := range p.options(s) {
		opts = append(opts, o)
	}
	if s.psk {
		// A pion client sends its PSK identity hint as its identity.
		opts = append(opts, dtls.WithPSKIdentityHint(pskIdentity))
	} else {
		opts = append(opts, dtls.WithRootCAs(p.pki.pool), dtls.WithServerName(serverName))
	}
	c, err := dtls.DialWithOptions("udp4", addr.(*net.UDPAddr), opts...)
	if err != nil {
		return nil, err
	}
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (pionImpl) negotiated(c net.Conn) (version, suite uint16) {
	st, ok := c.(*dtls.Conn).ConnectionState()
	if !ok {
		return 0, 0
	}
	// pion/dtls v3 speaks DTLS 1.2 only.
	return pathdtls.VersionDTLS12, uint16(st.CipherSuiteID)
}

func (pionImpl) awaitPayload(context.Context, net.Conn, int) error { return nil }

func (pionImpl) writeBurst(c net.Conn, burst [][]byte) (int, error) {
	return writeEach(c, burst)
}

func (pionImpl) libraryDrops(net.Conn) (uint64, bool) { return 0, false }
