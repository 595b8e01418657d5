package tls13

import (
	"crypto"
	"crypto/hkdf"
	_ "crypto/sha256" // the hashes of the DTLS 1.3 cipher suites, for crypto.Hash.New
	_ "crypto/sha512"

	"golang.org/x/crypto/cryptobyte"
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
	info := hkdfLabel(labelPrefix, label, context, length)
	if info == nil || !h.Available() {
		return nil
	}
	out, err := hkdf.Expand(h.New, secret, string(info), length)
	if err != nil {
		return nil
	}
	return out
}

// hkdfLabel returns the encoded HkdfLabel structure (RFC 8446, Section 7.1)
// for the given prefix, or nil if a field does not fit its bounds.
func hkdfLabel(prefix, label string, context []byte, length int) []byte {
	if length < 0 || length > maxLength ||
		len(prefix)+len(label) > maxLabel || len(context) > maxContext {
		return nil
	}
	b := cryptobyte.NewFixedBuilder(make([]byte, 0, 2+1+len(prefix)+len(label)+1+len(context)))
	b.AddUint16(uint16(length))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes([]byte(prefix))
		b.AddBytes([]byte(label))
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes(context)
	})
	info, err := b.Bytes()
	if err != nil {
		return nil
	}
	return info
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
