package dtls

import (
	"bytes"
	"crypto/tls"
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// The ECDHE_PSK key exchange (RFC 5489): an ephemeral ECDH exchange whose
// parameters the pre-shared key authenticates (through the Finished
// messages, as in the PSK key exchange), for forward secrecy without
// certificates. The premaster secret holds both the ECDH secret and the
// PSK (RFC 5489 §2).

// psk reports whether the suite authenticates with a pre-shared key.
func (s *cipherSuite) psk() bool { return s.kx == kxPSK || s.kx == kxECDHEPSK }

// ecdhe reports whether the suite runs an ECDHE exchange.
func (s *cipherSuite) ecdhe() bool { return s.kx != kxPSK }

// ecdhePSKPremaster returns the premaster secret of RFC 5489 §2:
// other_secret, the ECDH shared secret, then the PSK, each with a 16-bit
// length.
func ecdhePSKPremaster(shared, psk []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(shared) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(psk) })
	return b.BytesOrPanic()
}

// canServeECDHEPSK reports whether the server has a PSK and a group in
// common with the client, and records the group.
func (hs *serverHandshake) canServeECDHEPSK() bool {
	cfg, ext := hs.c.config, &hs.ch.Extensions
	if cfg.PSK == nil || ext.PointFormats != nil && !slices.Contains(ext.PointFormats, 0) {
		return false
	}
	curve, ok := pickCurve(cfg.curves(), ext.SupportedGroups)
	hs.curve = curve
	return ok
}

// ecdhePSKServerKeyExchange builds the ServerKeyExchange: the identity
// hint and our ECDH parameters, unsigned (RFC 5489 §2).
func (hs *serverHandshake) ecdhePSKServerKeyExchange() ([]byte, error) {
	cfg := hs.c.config
	key, err := curveFor(hs.curve).GenerateKey(cfg.rand())
	if err != nil {
		return nil, err
	}
	hs.ecdhKey = key
	ske := handshake.ServerKeyExchangeECDHEPSK{IdentityHint: cfg.PSKIdentityHint, Curve: uint16(hs.curve), PublicKey: key.PublicKey().Bytes()}
	return ske.Marshal()
}

// ecdhePSKClientKeyExchange takes the client's identity and ECDH public
// value, and returns the premaster secret.
func (hs *serverHandshake) ecdhePSKClientKeyExchange(m fragment.Message) ([]byte, error) {
	var cke handshake.ClientKeyExchangeECDHEPSK
	if !cke.Unmarshal(m.Body) {
		return nil, hs.decodeError(m)
	}
	psk, err := hs.clientPSK(cke.Identity)
	if err != nil {
		return nil, err
	}
	shared, err := ecdheShared(hs.ecdhKey, cke.PublicKey)
	if err != nil {
		return nil, hs.c.sendAlert(AlertIllegalParameter, err)
	}
	return ecdhePSKPremaster(shared, psk), nil
}

// processECDHEPSKServerKeyExchange takes the hint and the server's ECDH
// parameters, and runs our side of the exchange.
func (hs *clientHandshake) processECDHEPSKServerKeyExchange(m fragment.Message) error {
	c := hs.c
	var ske handshake.ServerKeyExchangeECDHEPSK
	if !ske.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	if !slices.Contains(c.config.curves(), tls.CurveID(ske.Curve)) || curveFor(tls.CurveID(ske.Curve)) == nil {
		return c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose an unsupported group"))
	}
	hs.hint = bytes.Clone(ske.IdentityHint)
	hs.startECDHE(&handshake.ServerKeyExchangeECDHE{Curve: ske.Curve, PublicKey: bytes.Clone(ske.PublicKey)})
	r := hs.waitECDHE()
	switch {
	case r.err != nil:
		return r.err
	case r.shared == nil:
		return c.sendAlert(AlertIllegalParameter, errInvalidECDHEKey)
	}
	hs.preMaster = r.shared // the ECDH secret, until keyExchange adds the PSK
	return nil
}

// ecdhePSKKeyExchange returns the ClientKeyExchange body and sets the
// premaster secret.
func (hs *clientHandshake) ecdhePSKKeyExchange() ([]byte, error) {
	cfg := hs.c.config
	psk, err := cfg.PSK(hs.hint)
	if err != nil {
		return nil, hs.c.sendAlert(AlertInternalError, err)
	}
	hs.preMaster, hs.identity = ecdhePSKPremaster(hs.preMaster, psk), cfg.PSKIdentity
	return (&handshake.ClientKeyExchangeECDHEPSK{Identity: cfg.PSKIdentity, PublicKey: hs.kx.result.public}).Marshal()
}
