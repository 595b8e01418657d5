package tls13

import (
	"crypto"
	"crypto/hmac"
)

// labelFinished derives the key of a Finished MAC or a PSK binder.
const labelFinished = "finished"

// FinishedKey returns the key of the Finished MAC (RFC 8446, Section 4.4.4)
// for a base key, the sender's handshake traffic secret (or, for a PSK
// binder, the binder key, RFC 8446, Section 4.2.11.2):
//
//	finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
func FinishedKey(h crypto.Hash, baseKey []byte) []byte {
	return ExpandLabel(h, baseKey, labelFinished, nil, hashLen(h))
}

// FinishedVerifyData returns the verify_data of a Finished message, or the
// binder of a PSK (RFC 8446, Sections 4.4.4 and 4.2.11.2):
//
//	verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context,
//	                   Certificate*, CertificateVerify*))
//
// transcriptHash is that transcript hash (Transcript.Sum; for a binder,
// Transcript.BinderHash). It returns nil if h is not available.
func FinishedVerifyData(h crypto.Hash, baseKey, transcriptHash []byte) []byte {
	key := FinishedKey(h, baseKey)
	if key == nil {
		return nil
	}
	m := hmac.New(h.New, key)
	m.Write(transcriptHash)
	return m.Sum(nil)
}

// VerifyFinished reports whether verifyData, received in a Finished message
// or as a PSK binder, is the one FinishedVerifyData computes. It compares
// in constant time, and an empty verifyData is never valid.
func VerifyFinished(h crypto.Hash, baseKey, transcriptHash, verifyData []byte) bool {
	want := FinishedVerifyData(h, baseKey, transcriptHash)
	return want != nil && hmac.Equal(want, verifyData)
}
