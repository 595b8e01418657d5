package handshake

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// A ClientHello offering PSKs ends with their binders, each an HMAC over the
// transcript up to and including the partial ClientHello: the ClientHello
// without its binders vector (RFC 8446, Section 4.2.11.2). In DTLS 1.3 the
// transcript holds each message with the 4-byte TLS 1.3 header (msg_type
// and the length of the whole body), not the 12-byte DTLS one (RFC 9147,
// Section 5.2).
//
// A client therefore marshals its ClientHello with binders of the lengths
// it will send (zeros, say), hashes the header and
// body[:len(body)-PSKBindersLen()], and writes the binders in with
// SetPSKBinders. A server hashes the same prefix of the body it parsed:
// Unmarshal requires pre_shared_key to be the last extension, and the
// extensions the last field, so the binders end that body too.

var errBindersMismatch = errors.New("dtls: the ClientHello does not end with binders of those lengths")

// PSKBindersLen returns the length in bytes of the binders vector, its
// 2-byte length included, that ends an encoded ClientHello carrying e's
// pre_shared_key (RFC 8446, Section 4.2.11), or 0 if e offers no PSK.
func (e *Extensions) PSKBindersLen() int {
	if len(e.PSKIdentities) == 0 {
		return 0
	}
	n := 2
	for _, b := range e.PSKBinders {
		n += 1 + len(b)
	}
	return n
}

// SetPSKBinders overwrites, in place, the binders that end body, a
// ClientHello body as Marshal returned it, with binders, which must be as
// many as body has and each as long as the one it replaces (RFC 8446,
// Section 4.2.11.2). If body does not end so, it returns an error and
// leaves body unchanged.
func SetPSKBinders(body []byte, binders [][]byte) error {
	n := 2
	for _, b := range binders {
		n += 1 + len(b)
	}
	if len(binders) == 0 || n > len(body) {
		return errBindersMismatch
	}
	tail := cryptobyte.String(body[len(body)-n:])
	var list cryptobyte.String
	if !tail.ReadUint16LengthPrefixed(&list) || !tail.Empty() {
		return errBindersMismatch
	}
	for _, b := range binders {
		var old cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&old) || len(old) != len(b) {
			return errBindersMismatch
		}
	}
	at := len(body) - n + 2
	for _, b := range binders {
		at += 1 + copy(body[at+1:], b)
	}
	return nil
}
