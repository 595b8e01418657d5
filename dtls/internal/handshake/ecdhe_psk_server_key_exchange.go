package handshake

import (
	"cmp"

	"golang.org/x/crypto/cryptobyte"
)

// ServerKeyExchangeECDHEPSK is the ServerKeyExchange message body for the
// ECDHE_PSK key exchange of RFC 5489, Section 2, the same in DTLS 1.0 and
// 1.2: the PSK identity hint, then the server's ECDH parameters, unsigned
// (the PSK authenticates them through the Finished messages):
//
//	struct {
//	    select (KeyExchangeAlgorithm) {
//	        case ec_diffie_hellman_psk:  /* NEW */
//	            opaque psk_identity_hint<0..2^16-1>;
//	            ServerECDHParams params;
//	    };
//	} ServerKeyExchange;
//
// ServerECDHParams are as ServerKeyExchangeECDHE's (RFC 8422, Section
// 5.4): named_curve, the curve, the point. After Unmarshal, IdentityHint
// and PublicKey alias the body that was parsed.
type ServerKeyExchangeECDHEPSK struct {
	IdentityHint []byte
	Curve        uint16 // NamedCurve (RFC 8422, Section 5.1.1)
	PublicKey    []byte // the encoded point, <1..2^8-1>
}

// Marshal returns the encoded body, or an error if a field does not fit
// its vector's bounds.
func (m *ServerKeyExchangeECDHEPSK) Marshal() ([]byte, error) {
	err := cmp.Or(
		checkLen("ServerKeyExchange psk_identity_hint", len(m.IdentityHint), 0, 1<<16-1),
		checkLen("ServerKeyExchange point", len(m.PublicKey), 1, 1<<8-1),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(6 + len(m.IdentityHint) + len(m.PublicKey))
	a.opaque16(m.IdentityHint)
	a.u8(curveTypeNamedCurve)
	a.u16(m.Curve)
	a.opaque8(m.PublicKey)
	return a.result()
}

// Unmarshal parses a body into m and reports whether it is well formed,
// with nothing left over. A curve_type other than named_curve fails.
func (m *ServerKeyExchangeECDHEPSK) Unmarshal(body []byte) bool {
	*m = ServerKeyExchangeECDHEPSK{}
	s := cryptobyte.String(body)
	var curveType uint8
	return readOpaque16(&s, &m.IdentityHint, 0) &&
		s.ReadUint8(&curveType) && curveType == curveTypeNamedCurve &&
		s.ReadUint16(&m.Curve) &&
		readOpaque8(&s, &m.PublicKey, 1) && s.Empty()
}
