package handshake

import (
	"slices"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// Type is a handshake message type, the HandshakeType enum of RFC 5246,
// Section 7.4 and RFC 6347, Section 4.3.2.
type Type uint8

// TypeHelloRequest through TypeFinished are the handshake message types
// used by DTLS 1.0 and 1.2 full handshakes (RFC 5246, Section 7.4; RFC
// 6347, Section 4.3.2), and TypeNewSessionTicket that of RFC 5077,
// Section 3.3 (reused by TLS 1.3, RFC 8446, Section 4.6.1). The types
// from TypeEndOfEarlyData on are those DTLS 1.3 adds: RFC 8446, Section 4
// and RFC 9147, Section 5 (RequestConnectionId and NewConnectionId,
// Section 9). TypeMessageHash never goes on the wire: it stands in the
// transcript for a first ClientHello answered by a HelloRetryRequest (RFC
// 8446, Section 4.4.1).
const (
	TypeHelloRequest       Type = 0
	TypeClientHello        Type = 1
	TypeServerHello        Type = 2
	TypeHelloVerifyRequest Type = 3
	TypeNewSessionTicket   Type = 4
	TypeCertificate        Type = 11
	TypeServerKeyExchange  Type = 12
	TypeCertificateRequest Type = 13
	TypeServerHelloDone    Type = 14
	TypeCertificateVerify  Type = 15
	TypeClientKeyExchange  Type = 16
	TypeFinished           Type = 20

	TypeEndOfEarlyData      Type = 5
	TypeEncryptedExtensions Type = 8
	TypeRequestConnectionID Type = 9
	TypeNewConnectionID     Type = 10
	TypeKeyUpdate           Type = 24
	TypeMessageHash         Type = 254
)

var typeNames = [...]string{
	TypeHelloRequest:       "HelloRequest",
	TypeClientHello:        "ClientHello",
	TypeServerHello:        "ServerHello",
	TypeHelloVerifyRequest: "HelloVerifyRequest",
	TypeNewSessionTicket:   "NewSessionTicket",
	TypeCertificate:        "Certificate",
	TypeServerKeyExchange:  "ServerKeyExchange",
	TypeCertificateRequest: "CertificateRequest",
	TypeServerHelloDone:    "ServerHelloDone",
	TypeCertificateVerify:  "CertificateVerify",
	TypeClientKeyExchange:  "ClientKeyExchange",
	TypeFinished:           "Finished",

	TypeEndOfEarlyData:      "EndOfEarlyData",
	TypeEncryptedExtensions: "EncryptedExtensions",
	TypeRequestConnectionID: "RequestConnectionId",
	TypeNewConnectionID:     "NewConnectionId",
	TypeKeyUpdate:           "KeyUpdate",
	TypeMessageHash:         "MessageHash",
}

// String returns the RFC name of t, such as "ClientHello", or "Type(n)" for a
// type this package does not know.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// HeaderLen is the length in bytes of the DTLS handshake message header.
const HeaderLen = 12

// Header is the DTLS handshake message header (RFC 6347, Section 4.2.2),
// which precedes every handshake message fragment:
//
//	struct {
//	  HandshakeType msg_type;
//	  uint24 length;
//	  uint16 message_seq;                               // New field
//	  uint24 fragment_offset;                           // New field
//	  uint24 fragment_length;                           // New field
//	  select (HandshakeType) { ... } body;
//	} Handshake;
//
// Length, FragmentOffset and FragmentLength are 24-bit values.
type Header struct {
	Type           Type
	Length         uint32 // length of the whole message body
	MessageSeq     uint16
	FragmentOffset uint32 // where this fragment starts in the body
	FragmentLength uint32 // number of body bytes in this fragment
}

// Append appends the 12-byte encoding of h to b and returns the extended
// slice. Only the low 24 bits of Length, FragmentOffset and FragmentLength
// are written; callers keep them below 1<<24.
func (h *Header) Append(b []byte) []byte {
	// Fixed widths: plain appends, which allocate nothing when b has room
	// (a cryptobyte.Builder would escape to the heap on every fragment).
	b = append(b, uint8(h.Type))
	b = appendUint24(b, h.Length)
	b = append(b, byte(h.MessageSeq>>8), byte(h.MessageSeq))
	b = appendUint24(b, h.FragmentOffset)
	return appendUint24(b, h.FragmentLength)
}

// appendUint24 appends the low 24 bits of v, big-endian.
func appendUint24(b []byte, v uint32) []byte {
	return append(b, byte(v>>16), byte(v>>8), byte(v))
}

// ParseFragment splits the first handshake fragment off b (a record's
// plaintext, which may hold several fragments): its header, its
// FragmentLength bytes, and the rest. ok is false if b is shorter than a
// header, the fragment runs past the end of b, or FragmentOffset +
// FragmentLength > Length.
//
// fragment and rest alias b; fragment's capacity ends where it does, so
// appending to it cannot overwrite rest.
func ParseFragment(b []byte) (h Header, fragment, rest []byte, ok bool) {
	s := cryptobyte.String(b)
	var typ uint8
	if !s.ReadUint8(&typ) ||
		!s.ReadUint24(&h.Length) ||
		!s.ReadUint16(&h.MessageSeq) ||
		!s.ReadUint24(&h.FragmentOffset) ||
		!s.ReadUint24(&h.FragmentLength) ||
		!s.ReadBytes(&fragment, int(h.FragmentLength)) {
		return Header{}, nil, nil, false
	}
	// Each term is below 1<<24, so the sum cannot overflow.
	if h.FragmentOffset+h.FragmentLength > h.Length {
		return Header{}, nil, nil, false
	}
	h.Type = Type(typ)
	return h, slices.Clip(fragment), []byte(s), true
}
