package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/transport"
)

// pathdtlsImpl runs pathdtls through its public API: transport.Listen and
// transport.Dial with its defaults (the path MTU managed, probing on, the
// server's stateless cookie exchange on). Its configurations are made once
// per suite, as an application would; they allow one DTLS version.
type pathdtlsImpl struct {
	label          string
	ver            uint16
	client, server map[string]*dtls.Config
}

// newPathdtls makes the DTLS 1.2 configurations of both suites over p.
func newPathdtls(p *pki) *pathdtlsImpl {
	ecdsa := []uint16{dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	p256 := []tls.CurveID{tls.CurveP256}
	psk := []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256}
	key := func([]byte) ([]byte, error) { return pskKey, nil }
	im := &pathdtlsImpl{
		label: "pathdtls", ver: dtls.VersionDTLS12,
		client: map[string]*dtls.Config{
			suiteECDSA.name: {CipherSuites: ecdsa, CurvePreferences: p256, RootCAs: p.pool, ServerName: serverName},
			suitePSK.name:   {CipherSuites: psk, PSK: key, PSKIdentity: pskIdentity},
		},
	}
	if p.cert.PrivateKey != nil {
		im.server = map[string]*dtls.Config{
			suiteECDSA.name: {CipherSuites: ecdsa, CurvePreferences: p256, Certificates: []tls.Certificate{p.cert}},
			suitePSK.name:   {CipherSuites: psk, PSK: key, PSKIdentityHint: pskHint},
		}
	}
	return im
}

func (im *pathdtlsImpl) name() string    { return im.label }
func (*pathdtlsImpl) secure() bool       { return true }
func (im *pathdtlsImpl) version() uint16 { return im.ver }

func (im *pathdtlsImpl) listen(s suite) (net.Listener, error) {
	return transport.Listen("udp4", "127.0.0.1:0", im.server[s.name])
}

func (*pathdtlsImpl) acceptsEstablished() bool { return true }

// serverHandshake does nothing: Accept returns associations whose
// handshake completed.
func (*pathdtlsImpl) serverHandshake(context.Context, net.Conn) error { return nil }

func (im *pathdtlsImpl) dial(ctx context.Context, addr net.Addr, s suite) (net.Conn, error) {
	return transport.Dial(ctx, "udp4", addr.String(), im.client[s.name])
}

func (*pathdtlsImpl) negotiated(c net.Conn) (version, suite uint16) {
	st := c.(*transport.Conn).ConnectionState()
	return st.Version, st.CipherSuite
}

// awaitPayload waits until c's MaxPayload is at least size: after the
// handshake it is what the handshake's datagrams proved, and grows as the
// association's probes confirm larger datagrams.
func (*pathdtlsImpl) awaitPayload(ctx context.Context, c net.Conn, size int) error {
	tc := c.(*transport.Conn)
	for {
		changed := tc.PathMTUChanged()
		if tc.MaxPayload() >= size {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("bench: the largest record stayed at %d bytes, below %d: %w", tc.MaxPayload(), size, ctx.Err())
		}
	}
}

// writeBurst writes the burst with one WriteBatch, which seals every record
// and hands them to the socket at once (sendmmsg, and UDP segmentation for
// records of one size, on Linux).
func (*pathdtlsImpl) writeBurst(c net.Conn, burst [][]byte) (int, error) {
	return c.(*transport.Conn).WriteBatch(burst)
}

// libraryDrops returns the records c received and discarded: those
// dropped because its receive queue was full, and those that failed
// authentication, were replayed or were malformed.
func (*pathdtlsImpl) libraryDrops(c net.Conn) (uint64, bool) {
	st := c.(*transport.Conn).Stats()
	return st.DroppedData + st.BadRecords + st.ReplayedRecords + st.DroppedRecords, true
}
