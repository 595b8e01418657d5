package record

import "errors"

// CIDCipher is a Cipher that also protects records carrying a connection
// ID (RFC 9146, Sections 4 and 5). The AES-GCM and AES-CBC ciphers
// implement it, and a caller finds it with a type assertion; the null
// cipher does not, since records without protection never carry a
// connection ID (RFC 9146, Section 3).
//
// A record with a connection ID encrypts a DTLSInnerPlaintext of
// len(content) + 1 + padding bytes, which must be at most MaxPlaintext
// (RFC 9146, Section 5): the largest content that fits in space bytes after
// the header is MaxPlaintext(space) - 1 - padding, if that is not negative.
// The record uses the epoch's sequence numbers, as the records without one
// do.
type CIDCipher interface {
	Cipher

	// SealCID appends to dst the protected fragment of a record with
	// header h: the encryption of the DTLSInnerPlaintext of content, its
	// real content type typ (not 0), and padding zero bytes, which is
	// SealedLen(len(content)+1+padding) bytes long. It uses h.Version,
	// h.Epoch, h.Seq and h.CID (1 to MaxCIDLen bytes) for the additional
	// data or the MAC of RFC 9146, Section 5, and ignores h.Length.
	// content and dst must not overlap.
	SealCID(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int) []byte

	// OpenCID authenticates and decrypts fragment in place and returns the
	// content and real content type of its DTLSInnerPlaintext; content is
	// a sub-slice of fragment. Authentication fails, with ErrBadRecordMAC,
	// as it does for Open, and also when h is not the header the record
	// was sealed with, its CID included. A record that authenticates can
	// still fail with ErrRecordOverflow or ErrNoContentType.
	OpenCID(h CIDHeader, fragment []byte) (content []byte, typ ContentType, err error)
}

// ErrRecordOverflow is returned by CIDCipher.OpenCID for an authentic
// record whose DTLSInnerPlaintext exceeds MaxPlaintext bytes (RFC 9146,
// Section 5): a record_overflow (RFC 5246, Section 6.2.1). Open leaves this
// check to its caller, which sees the plaintext's length; OpenCID's caller
// only sees the content.
var ErrRecordOverflow = errors.New("dtls: record with a connection ID has more than 2^14 bytes of plaintext")

// ErrNoContentType is returned by CIDCipher.OpenCID for an authentic record
// whose DTLSInnerPlaintext is all zeros, so that it has no real content
// type (RFC 9146, Section 4): an unexpected_message (RFC 8446, Section 5.4).
var ErrNoContentType = errors.New("dtls: record with a connection ID has no content type")

var (
	_ CIDCipher = (*aeadCipher)(nil)
	_ CIDCipher = (*cbcCipher)(nil)
)

// AppendCIDRecord appends a whole record with a connection ID to dst: h
// with its Length set to the sealed length, then the fragment that
// c.SealCID produces (RFC 9146, Section 4). h.Seq must be at most MaxSeq,
// h.CID 1 to MaxCIDLen bytes long, and len(content)+1+padding at most
// MaxPlaintext: the caller numbers and fragments records.
func AppendCIDRecord(dst []byte, h CIDHeader, typ ContentType, content []byte, padding int, c CIDCipher) []byte {
	h.Length = uint16(c.SealedLen(len(content) + 1 + padding))
	dst = h.Append(dst)
	return c.SealCID(dst, h, typ, content, padding)
}

// openInner checks the length of an authenticated DTLSInnerPlaintext and
// splits it into its content and real content type.
func openInner(inner []byte) ([]byte, ContentType, error) {
	if len(inner) > MaxPlaintext {
		return nil, 0, ErrRecordOverflow
	}
	content, typ, ok := ParseInnerPlaintext(inner)
	if !ok {
		return nil, 0, ErrNoContentType
	}
	return content, typ, nil
}
