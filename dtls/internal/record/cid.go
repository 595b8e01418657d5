package record

import (
	"encoding/binary"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// TLS12CID is tls12_cid, the outer content type of every record that
// carries a connection ID (RFC 9146, Section 4). The record's real content
// type travels encrypted, inside its DTLSInnerPlaintext.
const TLS12CID ContentType = 25

// MaxCIDLen is the longest connection ID, the ceiling of cid<0..2^8-1>
// (RFC 9146, Section 3).
const MaxCIDLen = 1<<8 - 1

// CIDHeader is the header of a record that carries a connection ID, the
// DTLSCiphertext of RFC 9146, Section 4:
//
//	struct {
//	    ContentType outer_type = tls12_cid;
//	    ProtocolVersion version;
//	    uint16 epoch;
//	    uint48 sequence_number;
//	    opaque cid[cid_length];               // New field
//	    uint16 length;
//	    opaque enc_content[DTLSCiphertext.length];
//	} DTLSCiphertext;
//
// The outer type is always TLS12CID, so it has no field here. The record
// does not say how long the CID is: the receiver knows, as the length of the
// CID it asked its peer to send (RFC 9146, Section 3), and tells SplitCID.
// A CID is never empty in this format: a peer that asked for an empty one is
// sent records of the RFC 6347 format (Header) instead.
type CIDHeader struct {
	Version uint16
	Epoch   uint16
	Seq     uint64 // at most MaxSeq; Append writes the low 48 bits
	CID     []byte // 1 to MaxCIDLen bytes
	Length  uint16 // length of the fragment that follows the header
}

// Len returns the length of the encoded header: HeaderLen plus the CID's
// length.
func (h *CIDHeader) Len() int { return HeaderLen + len(h.CID) }

// Append appends the h.Len() bytes of the encoded header, outer type
// TLS12CID first, to b and returns the extended slice (RFC 9146, Section 4).
// h.CID must be 1 to MaxCIDLen bytes long.
func (h *CIDHeader) Append(b []byte) []byte {
	b = append(b, byte(TLS12CID))
	b = binary.BigEndian.AppendUint16(b, h.Version)
	b = binary.BigEndian.AppendUint16(b, h.Epoch)
	b = appendUint48(b, h.Seq)
	b = append(b, h.CID...)
	return binary.BigEndian.AppendUint16(b, h.Length)
}

// SplitCID takes the next record off the front of a datagram when it is a
// record with a connection ID (RFC 9146, Section 4) whose CID is cidLen
// bytes long: its header, its fragment (h.Length bytes), and the rest of the
// datagram. ok is false when the outer type is not TLS12CID, cidLen is not
// 1 to MaxCIDLen, the header is short, the length runs past the datagram,
// the length exceeds MaxCiphertext, or the version's major byte is not 254,
// as with Split. The caller picks SplitCID or Split by the datagram's first
// byte. It does not allocate; h.CID and fragment alias the datagram, with
// their capacity ending at their length.
func SplitCID(datagram []byte, cidLen int) (h CIDHeader, fragment, rest []byte, ok bool) {
	s := cryptobyte.String(datagram)
	var typ uint8
	var cid []byte
	if cidLen < 1 || cidLen > MaxCIDLen ||
		!s.ReadUint8(&typ) || ContentType(typ) != TLS12CID ||
		!s.ReadUint16(&h.Version) ||
		!s.ReadUint16(&h.Epoch) ||
		!s.ReadUint48(&h.Seq) ||
		!s.ReadBytes(&cid, cidLen) ||
		!s.ReadUint16(&h.Length) ||
		h.Version>>8 != dtlsMajor ||
		h.Length > MaxCiphertext ||
		!s.ReadBytes(&fragment, int(h.Length)) {
		return CIDHeader{}, nil, nil, false
	}
	h.CID = cid[:cidLen:cidLen]
	return h, fragment[:len(fragment):len(fragment)], s, true
}

// AppendInnerPlaintext appends to b the DTLSInnerPlaintext of RFC 9146,
// Section 4, which a record with a connection ID encrypts: content, its
// real content type typ, then padding zero bytes.
//
//	struct {
//	    opaque content[length];
//	    ContentType real_type;
//	    uint8 zeros[length_of_padding];
//	} DTLSInnerPlaintext;
//
// typ must not be 0, which the receiver could not tell from padding, and
// padding must not be negative.
func AppendInnerPlaintext(b, content []byte, typ ContentType, padding int) []byte {
	b = append(b, content...)
	b = append(b, byte(typ))
	n := len(b)
	b = slices.Grow(b, padding)[:n+padding]
	clear(b[n:])
	return b
}

// ParseInnerPlaintext splits a decrypted DTLSInnerPlaintext (RFC 9146,
// Section 4) into its content and real content type: the type is the last
// byte that is not zero, and the zeros after it are padding, as in TLS 1.3
// (RFC 8446, Section 5.4). ok is false when inner holds no byte that is not
// zero, which RFC 8446 has the receiver treat as an unexpected_message.
// content aliases inner, with its capacity ending at its length. The scan
// takes time linear in the padding; it runs only on authenticated records.
func ParseInnerPlaintext(inner []byte) (content []byte, typ ContentType, ok bool) {
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return nil, 0, false
	}
	return inner[:i:i], ContentType(inner[i]), true
}

// cidScratch returns *b emptied, for a CID record's additional data, after
// making it if it was nil: a cipher keeps the room only once it meets a CID
// record, so that an association without one does not hold it.
func cidScratch(b *[]byte) []byte {
	if *b == nil {
		*b = make([]byte, 0, maxCIDAdditionalDataLen)
	}
	return (*b)[:0]
}

// maxCIDAdditionalDataLen is the length of appendCIDAdditionalData's
// output for the longest CID: 23 bytes of fields, then the CID.
const maxCIDAdditionalDataLen = 23 + MaxCIDLen

// appendCIDAdditionalData appends the record fields that protect a record
// with a connection ID, for a DTLSInnerPlaintext of n bytes: the AEAD
// additional_data of RFC 9146, Section 5.3, which is also what the MAC of a
// MAC-then-encrypt block cipher covers before the DTLSInnerPlaintext
// (Section 5.1):
//
//	seq_num_placeholder(8, all 0xff) + tls12_cid(1) + cid_length(1) +
//	tls12_cid(1) + version(2) + epoch(2) + sequence_number(6) + cid +
//	length_of_DTLSInnerPlaintext(2)
//
// Both use the length of the DTLSInnerPlaintext; Encrypt-then-MAC
// (Section 5.2, RFC 7366) uses that of the IV and ciphertext instead (see
// appendCIDEtMData). The placeholder and the doubled tls12_cid keep
// this input apart from that of a record without a CID (RFC 6347, Section
// 4.1.2.1), which starts with the epoch and sequence number and has a real
// content type in its ninth byte.
func appendCIDAdditionalData(b []byte, h CIDHeader, n int) []byte {
	b = binary.BigEndian.AppendUint64(b, 1<<64-1) // seq_num_placeholder
	b = append(b, byte(TLS12CID), byte(len(h.CID)), byte(TLS12CID))
	b = binary.BigEndian.AppendUint16(b, h.Version)
	b = binary.BigEndian.AppendUint16(b, h.Epoch)
	b = appendUint48(b, h.Seq)
	b = append(b, h.CID...)
	return binary.BigEndian.AppendUint16(b, uint16(n))
}
