package handshake

import (
	"cmp"

	"golang.org/x/crypto/cryptobyte"
)

// curveTypeNamedCurve is the only ECCurveType RFC 8422, Section 5.4 still
// allows; explicit_prime (1) and explicit_char2 (2) are deprecated.
const curveTypeNamedCurve uint8 = 3

// ServerKeyExchangeECDHE is the ServerKeyExchange message body for the
// ECDHE_ECDSA and ECDHE_RSA key exchanges of RFC 8422, Section 5.4 (RFC
// 4492, Section 5.4):
//
//	struct {
//	    ECCurveType    curve_type;            // named_curve (3)
//	    select (curve_type) {
//	        case named_curve:
//	            NamedCurve namedcurve;
//	    };
//	} ECParameters;
//
//	struct {
//	    opaque point <1..2^8-1>;
//	} ECPoint;
//
//	struct {
//	    ECParameters    curve_params;
//	    ECPoint         public;
//	} ServerECDHParams;
//
//	struct {
//	    ServerECDHParams    params;
//	    Signature           signed_params;
//	} ServerKeyExchange;
//
// In DTLS 1.2 the signature is a digitally-signed element (RFC 5246,
// Section 4.7): a SignatureAndHashAlgorithm and signature<0..2^16-1>. In
// DTLS 1.0 it is only signature<0..2^16-1> (RFC 4346, Section 4.7), and
// SigAlg is not written, and left zero by Unmarshal. After Unmarshal,
// PublicKey and Signature alias the body that was parsed.
type ServerKeyExchangeECDHE struct {
	Curve     uint16 // NamedCurve (RFC 8422, Section 5.1.1)
	PublicKey []byte // the encoded point, <1..2^8-1>
	SigAlg    uint16 // SignatureAndHashAlgorithm; DTLS 1.2 only
	Signature []byte // <0..2^16-1>
}

// Marshal returns the encoded body for DTLS 1.2 if tls12 is true and for
// DTLS 1.0 otherwise, or an error if a field does not fit its vector's
// bounds.
func (m *ServerKeyExchangeECDHE) Marshal(tls12 bool) ([]byte, error) {
	err := cmp.Or(
		checkLen("ServerKeyExchange point", len(m.PublicKey), 1, 1<<8-1),
		checkLen("ServerKeyExchange signature", len(m.Signature), 0, 1<<16-1),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(8 + len(m.PublicKey) + len(m.Signature))
	m.addParams(&a)
	if tls12 {
		a.u16(m.SigAlg)
	}
	a.opaque16(m.Signature)
	return a.result()
}

// AppendParams appends to dst the encoded ServerECDHParams (curve_type,
// named curve, point), the bytes that are signed together with
// client_random and server_random (RFC 8422, Section 5.4). It returns nil
// if PublicKey is empty or longer than 255 bytes.
func (m *ServerKeyExchangeECDHE) AppendParams(dst []byte) []byte {
	if len(m.PublicKey) < 1 || len(m.PublicKey) > 1<<8-1 {
		return nil
	}
	a := appender{b: dst}
	m.addParams(&a)
	return a.b // the point's length was checked above
}

// addParams appends the ServerECDHParams to a.
func (m *ServerKeyExchangeECDHE) addParams(a *appender) {
	a.u8(curveTypeNamedCurve)
	a.u16(m.Curve)
	a.opaque8(m.PublicKey)
}

// Unmarshal parses a body for DTLS 1.2 if tls12 is true and for DTLS 1.0
// otherwise, and reports whether it is well formed, with nothing left over.
// A curve_type other than named_curve fails.
func (m *ServerKeyExchangeECDHE) Unmarshal(body []byte, tls12 bool) bool {
	*m = ServerKeyExchangeECDHE{}
	s := cryptobyte.String(body)
	var curveType uint8
	if !s.ReadUint8(&curveType) || curveType != curveTypeNamedCurve ||
		!s.ReadUint16(&m.Curve) ||
		!readOpaque8(&s, &m.PublicKey, 1) {
		return false
	}
	if tls12 && !s.ReadUint16(&m.SigAlg) {
		return false
	}
	return readOpaque16(&s, &m.Signature, 0) && s.Empty()
}

// ServerKeyExchangePSK is the ServerKeyExchange message body for the PSK key
// exchange of RFC 4279, Section 2, the same in DTLS 1.0 and 1.2:
//
//	struct {
//	    select (KeyExchangeAlgorithm) {
//	        case psk:  /* NEW */
//	            opaque psk_identity_hint<0..2^16-1>;
//	    };
//	} ServerKeyExchange;
//
// After Unmarshal, IdentityHint aliases the body that was parsed.
type ServerKeyExchangePSK struct {
	IdentityHint []byte
}

// Marshal returns the encoded body, or an error if the hint is longer than
// 2^16-1 bytes.
func (m *ServerKeyExchangePSK) Marshal() ([]byte, error) {
	if err := checkLen("ServerKeyExchange psk_identity_hint", len(m.IdentityHint), 0, 1<<16-1); err != nil {
		return nil, err
	}
	a := newAppender(2 + len(m.IdentityHint))
	a.opaque16(m.IdentityHint)
	return a.result()
}

// Unmarshal parses a body into m and reports whether it is well formed,
// with nothing left over.
func (m *ServerKeyExchangePSK) Unmarshal(body []byte) bool {
	*m = ServerKeyExchangePSK{}
	s := cryptobyte.String(body)
	return readOpaque16(&s, &m.IdentityHint, 0) && s.Empty()
}
