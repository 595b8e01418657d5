package tls13

import (
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	_ "crypto/sha256" // the hashes of the DTLS 1.3 cipher suites, for crypto.Hash.New
	_ "crypto/sha512"
	"hash"
)

// labelPrefix is put in front of every HKDF-Expand-Label label: "dtls13"
// for DTLS 1.3, with no trailing space (RFC 9147, Section 5.9). It is a
// variable only so that the tests can run the TLS 1.3 vectors of RFC 8448,
// whose prefix is "tls13 " (RFC 8446, Section 7.1).
var labelPrefix = "dtls13"

// The bounds of the HkdfLabel structure (RFC 8446, Section 7.1):
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
const (
	maxLabel   = 255
	maxContext = 255
	maxLength  = 1<<16 - 1
)

// ExpandLabel returns HKDF-Expand-Label(Secret, Label, Context, Length) of
// RFC 8446, Section 7.1, with the DTLS 1.3 label prefix "dtls13" (RFC 9147,
// Section 5.9):
//
//	HKDF-Expand-Label(Secret, Label, Context, Length) =
//	     HKDF-Expand(Secret, HkdfLabel, Length)
//
// It returns nil if the label, the context or the length cannot be encoded
// in an HkdfLabel, if length is larger than HKDF allows (255 times the hash
// size) or if h is not available.
func ExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	if !h.Available() {
		return nil
	}
	return newExpander(h, secret).label(label, context, length)
}

// An expander computes HKDF-Expand-Label for several labels of one secret
// with one HMAC.
type expander struct {
	size int
	mac  hash.Hash
}

// newExpander returns an expander of secret; h must be available.
func newExpander(h crypto.Hash, secret []byte) expander {
	return expander{size: h.Size(), mac: hmac.New(h.New, secret)}
}

// label returns HKDF-Expand-Label(secret, label, context, length), or nil
// as ExpandLabel does. It is HKDF-Expand(PRK, info, L) of RFC 5869,
// Section 2.3, with the HkdfLabel as info:
//
//	T(0) = empty string
//	T(i) = HMAC-Hash(PRK, T(i-1) | info | i)
//	OKM  = first L octets of T(1) | T(2) | ...
func (e expander) label(label string, context []byte, length int) []byte {
	info := hkdfLabel(labelPrefix, label, context, length)
	if info == nil || length > 255*e.size {
		return nil
	}
	out := make([]byte, 0, (length+e.size-1)/e.size*e.size)
	msg := append(info, 0) // hkdfLabel left room for the counter
	for i := 1; len(out) < length; i++ {
		msg[len(msg)-1] = byte(i)
		e.mac.Reset()
		if i > 1 {
			e.mac.Write(out[len(out)-e.size:])
		}
		e.mac.Write(msg)
		out = e.mac.Sum(out)
	}
	return out[:length]
}

// hkdfLabel returns the encoded HkdfLabel structure (RFC 8446, Section 7.1)
// for the given prefix, or nil if a field does not fit its bounds. Its
// slice has one byte of spare capacity, for HKDF-Expand's counter.
func hkdfLabel(prefix, label string, context []byte, length int) []byte {
	if length < 0 || length > maxLength ||
		len(prefix)+len(label) > maxLabel || len(context) > maxContext {
		return nil
	}
	b := make([]byte, 0, 2+1+len(prefix)+len(label)+1+len(context)+1)
	b = append(b, byte(length>>8), byte(length), byte(len(prefix)+len(label)))
	b = append(append(b, prefix...), label...)
	b = append(b, byte(len(context)))
	return append(b, context...)
}

// DeriveSecret returns Derive-Secret(Secret, Label, Messages) of RFC 8446,
// Section 7.1, given Transcript-Hash(Messages) (see Transcript.Sum):
//
//	Derive-Secret(Secret, Label, Messages) =
//	     HKDF-Expand-Label(Secret, Label,
//	                       Transcript-Hash(Messages), Hash.length)
//
// Where the RFC derives from no messages (""), transcriptHash is the hash of
// the empty string, which EmptyHash returns.
func DeriveSecret(h crypto.Hash, secret []byte, label string, transcriptHash []byte) []byte {
	return ExpandLabel(h, secret, label, transcriptHash, hashLen(h))
}

// extract returns HKDF-Extract(salt, ikm) (RFC 5869, Section 2.2), or nil if
// h is not available. An empty ikm stands for Hash.length zero bytes, as
// RFC 8446, Section 7.1 uses it when there is no PSK or no (EC)DHE secret;
// the two are not the same input to HMAC, so the zeros are spelled out.
func extract(h crypto.Hash, ikm, salt []byte) []byte {
	if !h.Available() {
		return nil
	}
	if len(ikm) == 0 {
		ikm = make([]byte, hashLen(h))
	}
	out, err := hkdf.Extract(h.New, ikm, salt)
	if err != nil {
		return nil
	}
	return out
}

// EmptyHash returns Transcript-Hash of no messages, the hash of the empty
// string, which Derive-Secret(., ., "") takes as its context (RFC 8446,
// Section 7.1). It returns nil if h is not available.
func EmptyHash(h crypto.Hash) []byte {
	if !h.Available() {
		return nil
	}
	return h.New().Sum(nil)
}

// hashLen returns Hash.length, the size of h, or 0 if h is not available
// (crypto.Hash.Size panics on a value it does not know).
func hashLen(h crypto.Hash) int {
	if !h.Available() {
		return 0
	}
	return h.Size()
}
