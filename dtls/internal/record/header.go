package record

import (
	"encoding/binary"

	"golang.org/x/crypto/cryptobyte"
)

// The protocol versions a record header carries (RFC 6347, Section 4.1):
// DTLS 1.0 is {254, 255} and DTLS 1.2 is {254, 253}.
const (
	VersionDTLS10 uint16 = 0xfeff
	VersionDTLS12 uint16 = 0xfefd
)

// dtlsMajor is the major version byte of every DTLS version.
const dtlsMajor = 254

// HeaderLen is the length of a DTLS record header (RFC 6347, Section 4.1).
const HeaderLen = 13

// MaxPlaintext is the largest fragment a plaintext record may carry, 2^14
// bytes (RFC 6347, Section 4.1; RFC 5246, Section 6.2.1).
const MaxPlaintext = 1 << 14

// MaxCiphertext is the largest fragment a protected record may carry, 2^14 +
// 2048 bytes (RFC 5246, Section 6.2.3).
const MaxCiphertext = MaxPlaintext + 2048

// MaxSeq is the largest record sequence number, which is 48 bits long in
// DTLS (RFC 6347, Section 4.1).
const MaxSeq = 1<<48 - 1

// Header is the DTLS record header (RFC 6347, Section 4.1): type, version,
// epoch, 48-bit sequence number, length.
//
//	struct {
//	  ContentType type;
//	  ProtocolVersion version;
//	  uint16 epoch;
//	  uint48 sequence_number;
//	  uint16 length;
//	  opaque fragment[DTLSPlaintext.length];
//	} DTLSPlaintext;
type Header struct {
	Type    ContentType
	Version uint16
	Epoch   uint16
	Seq     uint64 // at most MaxSeq; Append writes the low 48 bits
	Length  uint16 // length of the fragment that follows the header
}

// Append appends the HeaderLen bytes of the encoded header to b and returns
// the extended slice.
func (h *Header) Append(b []byte) []byte {
	// The fields have fixed widths, so plain appends suffice; they also
	// keep the data path free of allocations.
	b = append(b, byte(h.Type))
	b = binary.BigEndian.AppendUint16(b, h.Version)
	b = binary.BigEndian.AppendUint16(b, h.Epoch)
	b = appendUint48(b, h.Seq)
	return binary.BigEndian.AppendUint16(b, h.Length)
}

// appendUint48 appends the low 48 bits of v to b, big-endian.
func appendUint48(b []byte, v uint64) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(v>>32))
	return binary.BigEndian.AppendUint32(b, uint32(v))
}

// Split takes the next record off the front of a datagram: its header, its
// fragment (h.Length bytes), and the rest of the datagram. ok is false when
// the header is short, the length runs past the datagram, the length exceeds
// MaxCiphertext, or the version's major byte is not 254 (DTLS); RFC 6347,
// Section 4.1.2.7, has the receiver discard such a datagram. It does not
// allocate, and fragment's capacity ends at its length, so appending to it
// cannot overwrite the rest of the datagram.
func Split(datagram []byte) (h Header, fragment, rest []byte, ok bool) {
	s := cryptobyte.String(datagram)
	var typ uint8
	if !s.ReadUint8(&typ) ||
		!s.ReadUint16(&h.Version) ||
		!s.ReadUint16(&h.Epoch) ||
		!s.ReadUint48(&h.Seq) ||
		!s.ReadUint16(&h.Length) ||
		h.Version>>8 != dtlsMajor ||
		h.Length > MaxCiphertext ||
		!s.ReadBytes(&fragment, int(h.Length)) {
		return Header{}, nil, nil, false
	}
	h.Type = ContentType(typ)
	return h, fragment[:len(fragment):len(fragment)], s, true
}
