package handshake

import (
	"cmp"

	"golang.org/x/crypto/cryptobyte"
)

// ClientKeyExchangeECDHEPSK is the ClientKeyExchange message body for the
// ECDHE_PSK key exchange of RFC 5489, Section 2: the PSK identity, then
// the client's ECDH public value (RFC 8422, Section 5.7):
//
//	struct {
//	    select (KeyExchangeAlgorithm) {
//	        case ec_diffie_hellman_psk:  /* NEW */
//	            opaque psk_identity<0..2^16-1>;
//	            ClientECDiffieHellmanPublic public;
//	    } exchange_keys;
//	} ClientKeyExchange;
//
// After Unmarshal, Identity and PublicKey alias the body that was parsed.
type ClientKeyExchangeECDHEPSK struct {
	Identity  []byte
	PublicKey []byte // the encoded point, <1..2^8-1>
}

// Marshal returns the encoded body, or an error if a field does not fit
// its vector's bounds.
func (m *ClientKeyExchangeECDHEPSK) Marshal() ([]byte, error) {
	err := cmp.Or(
		checkLen("ClientKeyExchange psk_identity", len(m.Identity), 0, 1<<16-1),
		checkLen("ClientKeyExchange point", len(m.PublicKey), 1, 1<<8-1),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(3 + len(m.Identity) + len(m.PublicKey))
	a.opaque16(m.Identity)
	a.opaque8(m.PublicKey)
	return a.result()
}

// Unmarshal parses a body into m and reports whether it is well formed,
// with nothing left over.
func (m *ClientKeyExchangeECDHEPSK) Unmarshal(body []byte) bool {
	*m = ClientKeyExchangeECDHEPSK{}
	s := cryptobyte.String(body)
	return readOpaque16(&s, &m.Identity, 0) && readOpaque8(&s, &m.PublicKey, 1) && s.Empty()
}
