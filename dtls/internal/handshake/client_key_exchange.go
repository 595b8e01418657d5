package handshake

import (
	"golang.org/x/crypto/cryptobyte"
)

// ClientKeyExchangeECDHE is the ClientKeyExchange message body for the
// ECDHE key exchanges of RFC 8422, Section 5.7 (RFC 4492, Section 5.7), the
// same in DTLS 1.0 and 1.2:
//
//	struct {
//	    opaque point <1..2^8-1>;
//	} ECPoint;
//
//	struct {
//	    select (PublicValueEncoding) {
//	        case implicit:  struct { };
//	        case explicit:  ECPoint ecdh_Yc;
//	    } ecdh_public;
//	} ClientECDiffieHellmanPublic;
//
// Only the explicit encoding exists for ephemeral keys, so PublicKey is
// never empty. After Unmarshal, PublicKey aliases the body that was parsed.
type ClientKeyExchangeECDHE struct {
	PublicKey []byte // the encoded point, <1..2^8-1>
}

// Marshal returns the encoded body, or an error if PublicKey is empty or
// longer than 255 bytes.
func (m *ClientKeyExchangeECDHE) Marshal() ([]byte, error) {
	if err := checkLen("ClientKeyExchange point", len(m.PublicKey), 1, 1<<8-1); err != nil {
		return nil, err
	}
	a := newAppender(1 + len(m.PublicKey))
	a.opaque8(m.PublicKey)
	return a.result()
}

// Unmarshal parses a body into m and reports whether it is well formed,
// with nothing left over.
func (m *ClientKeyExchangeECDHE) Unmarshal(body []byte) bool {
	*m = ClientKeyExchangeECDHE{}
	s := cryptobyte.String(body)
	return readOpaque8(&s, &m.PublicKey, 1) && s.Empty()
}

// ClientKeyExchangePSK is the ClientKeyExchange message body for the PSK
// key exchange of RFC 4279, Section 2, the same in DTLS 1.0 and 1.2:
//
//	struct {
//	    select (KeyExchangeAlgorithm) {
//	        case psk:   /* NEW */
//	            opaque psk_identity<0..2^16-1>;
//	    } exchange_keys;
//	} ClientKeyExchange;
//
// After Unmarshal, Identity aliases the body that was parsed.
type ClientKeyExchangePSK struct {
	Identity []byte
}

// Marshal returns the encoded body, or an error if Identity is longer than
// 2^16-1 bytes.
func (m *ClientKeyExchangePSK) Marshal() ([]byte, error) {
	if err := checkLen("ClientKeyExchange psk_identity", len(m.Identity), 0, 1<<16-1); err != nil {
		return nil, err
	}
	a := newAppender(2 + len(m.Identity))
	a.opaque16(m.Identity)
	return a.result()
}

// Unmarshal parses a body into m and reports whether it is well formed,
// with nothing left over.
func (m *ClientKeyExchangePSK) Unmarshal(body []byte) bool {
	*m = ClientKeyExchangePSK{}
	s := cryptobyte.String(body)
	return readOpaque16(&s, &m.Identity, 0) && s.Empty()
}
