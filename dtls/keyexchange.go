package dtls

import (
	"crypto/ecdh"
	"crypto/tls"
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// curveFor returns the ECDH curve of a named group (RFC 8422 §5.1.1,
// RFC 7748), or nil.
func curveFor(id tls.CurveID) ecdh.Curve {
	switch id {
	case tls.X25519:
		return ecdh.X25519()
	case tls.CurveP256:
		return ecdh.P256()
	case tls.CurveP384:
		return ecdh.P384()
	}
	return nil
}

// pickCurve chooses the server's group: our first preference the client
// supports. A client without supported_groups gets our first (RFC 8422 §4).
func pickCurve(prefs []tls.CurveID, offered []uint16) (tls.CurveID, bool) {
	for _, id := range prefs {
		if curveFor(id) != nil && (offered == nil || slices.Contains(offered, uint16(id))) {
			return id, true
		}
	}
	return 0, false
}

// errInvalidECDHEKey refuses a peer's ECDHE public key that is not a point
// of the curve (RFC 8422 §5.11), or the identity.
var errInvalidECDHEKey = errors.New("dtls: invalid ECDHE public key from peer")

// ecdheShared returns the ECDH shared secret, the premaster secret of ECDHE
// suites (RFC 8422 §5.10).
func ecdheShared(priv *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := priv.Curve().NewPublicKey(peer)
	if err != nil {
		return nil, errInvalidECDHEKey
	}
	return priv.ECDH(pub)
}

// signedParams returns what the signature of a ServerKeyExchange covers:
// client_random, server_random and the ServerECDHParams (RFC 8422, Section
// 5.4), or nil if the parameters cannot be encoded.
func signedParams(clientRandom, serverRandom []byte, ske *handshake.ServerKeyExchangeECDHE) []byte {
	b := make([]byte, 0, len(clientRandom)+len(serverRandom)+4+len(ske.PublicKey))
	b = append(append(b, clientRandom...), serverRandom...)
	return ske.AppendParams(b)
}

// pskPremaster builds the premaster secret of plain PSK suites
// (RFC 4279 §2): uint16 N, N zero bytes, uint16 N, the key.
func pskPremaster(psk []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, len(psk))) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(psk) })
	return b.BytesOrPanic()
}

// supportedGroups lists the configured groups as uint16s for the extension.
func supportedGroups(prefs []tls.CurveID) []uint16 {
	var out []uint16
	for _, id := range prefs {
		if curveFor(id) != nil {
			out = append(out, uint16(id))
		}
	}
	return out
}
