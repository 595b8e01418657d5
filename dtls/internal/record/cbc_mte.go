package record

import "crypto/subtle"

// This file holds the constant-time checks of MAC-then-encrypt records
// (RFC 5246, Section 6.2.3.2), whose padding is only known after
// decryption and before authentication.

// verify checks the MAC found by decrypt against that of ad and the content
// body[:n], and returns the content.
func (c *cbcCipher) verify(body []byte, n, padGood int, ad []byte) ([]byte, error) {
	// RFC 5246, Section 6.2.3.2, asks that a record with bad padding take
	// as long to reject as one with a bad MAC. The MAC always runs, and the
	// padding is fed to the hash after the digest is taken, so that about as
	// many hash blocks are processed whatever the padding length; what
	// remains is the one block that SHA-1 or SHA-256 finalization may add.
	// Both hashes have 64-byte blocks and 8-byte length fields, so that
	// block comes and goes at the same padding lengths.
	local := c.sumOf(ad, body[:n])
	c.mac.Write(body[n+c.macLen:]) // the padding

	if subtle.ConstantTimeCompare(local, c.remote[:c.macLen])&padGood != 1 {
		return nil, ErrBadRecordMAC
	}
	return body[:n:n], nil
}

// checkPadding returns the number of padding bytes at the end of the
// decrypted body, the padding_length byte included, and good = 1 if the
// padding is well formed and leaves room for the macLen bytes of MAC
// before it (0 with Encrypt-then-MAC). Its running time depends only on
// len(body), which must be at least macLen+1. For bad padding it returns 0
// and good = 0, and the caller goes on as if there were no padding.
func checkPadding(body []byte, macLen int) (padLen, good int) {
	n := int(body[len(body)-1]) + 1
	good = subtle.ConstantTimeLessOrEq(n+macLen, len(body))
	for i := 1; i <= min(cbcMaxPad, len(body)); i++ {
		inPadding := subtle.ConstantTimeLessOrEq(i, n)
		matches := subtle.ConstantTimeByteEq(body[len(body)-i], byte(n-1))
		good &= matches | (inPadding ^ 1)
	}
	return subtle.ConstantTimeSelect(good, n, 0), good
}

// copyMAC copies the len(out) bytes of body at macStart into out, reading
// the same bytes in the same order whatever macStart is, since macStart
// depends on the padding length. len(out), the MAC length, is at most
// cbcMaxMACLen; macStart must lie within the last len(out)+cbcMaxPad bytes
// of body and leave room for the MAC.
//
// It collects the MAC into a buffer rotated by macStart's position modulo
// the MAC length, then rotates it back with a constant-time selection.
func copyMAC(out, body []byte, macStart int) {
	macLen := len(out)
	var buf [cbcMaxMACLen]byte
	rotated := buf[:macLen]
	inMAC, rotateBy := 0, 0
	scanStart := max(0, len(body)-macLen-cbcMaxPad)
	j := 0 // (i - scanStart) % macLen
	for i := scanStart; i < len(body); i++ {
		started := subtle.ConstantTimeEq(int32(i), int32(macStart))
		ended := subtle.ConstantTimeEq(int32(i), int32(macStart+macLen))
		inMAC = (inMAC | started) &^ ended
		rotateBy |= j & -started
		rotated[j] |= body[i] & byte(-inMAC)
		if j++; j == macLen {
			j = 0
		}
	}
	for k := range out {
		from := k + rotateBy
		from -= macLen & -subtle.ConstantTimeLessOrEq(macLen, from)
		var b byte
		for r, v := range rotated {
			b |= v & byte(-subtle.ConstantTimeEq(int32(r), int32(from)))
		}
		out[k] = b
	}
}
