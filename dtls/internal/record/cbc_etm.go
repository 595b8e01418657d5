package record

import "crypto/hmac"

// This file holds what Encrypt-then-MAC (RFC 7366) changes in the AES-CBC
// records: a record is
//
//	IV || ENC(content || padding || padding_length) || MAC
//
// and the MAC covers the IV and the ciphertext, so it can be checked before
// anything is decrypted.

// openEtM checks the MAC at the end of fragment against that of ad, the IV
// and the ciphertext (RFC 7366, Section 3), and only then decrypts the
// ciphertext in place, checks its padding, and returns the content. The
// caller has checked fragment's length with validLen. Once the MAC holds,
// the padding is the sender's and its check need not run in constant time;
// a record that authenticates but has bad padding still fails with
// ErrBadRecordMAC (RFC 7366, Section 3; RFC 5246, Section 6.2.3.2).
func (c *cbcCipher) openEtM(fragment, ad []byte) ([]byte, error) {
	macStart := len(fragment) - c.macLen
	if !hmac.Equal(c.sumOf(ad, fragment[:macStart]), fragment[macStart:]) {
		return nil, ErrBadRecordMAC
	}
	body, n, padGood, ok := c.decrypt(fragment)
	if !ok || padGood != 1 {
		return nil, ErrBadRecordMAC
	}
	return body[:n:n], nil
}

// appendCIDEtMData appends what the MAC of an Encrypt-then-MAC record with
// a connection ID covers before the IV and ciphertext (RFC 9146, Section
// 5.2), where n is the length of the IV and the ciphertext:
//
//	seq_num_placeholder(8, all 0xff) + tls12_cid(1) + cid_length(1) +
//	tls12_cid(1) + DTLSCiphertext.version(2) + epoch(2) +
//	sequence_number(6) + cid + DTLSCiphertext.length(2)
//
// These are the fields of Section 5.1's MAC input, and of the AEAD
// additional data of Section 5.3, in the same order; only the length
// differs, so this calls appendCIDAdditionalData with n in place of the
// length of the DTLSInnerPlaintext. Section 5.2 names the length
// DTLSCiphertext.length, the word RFC 7366, Section 3, uses for the length
// of the IV and ciphertext without the MAC that follows them, and the
// implementations of RFC 9146 with Encrypt-then-MAC (mbed TLS, Bouncy
// Castle) use that length too.
func appendCIDEtMData(b []byte, h CIDHeader, n int) []byte {
	return appendCIDAdditionalData(b, h, n)
}
