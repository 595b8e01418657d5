package dtls

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// HeartbeatMessageType values (RFC 6520 §3).
const (
	heartbeatRequest  uint8 = 1
	heartbeatResponse uint8 = 2
)

// heartbeatMinPadding is the least padding a HeartbeatMessage carries
// (RFC 6520 §4).
const heartbeatMinPadding = 16

// heartbeatMessage is the RFC 6520 §4 message:
//
//	struct {
//	   HeartbeatMessageType type;
//	   uint16 payload_length;
//	   opaque payload[HeartbeatMessage.payload_length];
//	   opaque padding[padding_length];
//	} HeartbeatMessage;
//
// The padding fills the rest of the record and is at least 16 bytes.
type heartbeatMessage struct {
	typ     uint8
	payload []byte
	padding int
}

// appendHeader appends the message's type, payload_length and payload to
// b: the message but its padding, which the caller appends (RFC 6520 §4:
// random bytes).
func (m *heartbeatMessage) appendHeader(b []byte) ([]byte, error) {
	if len(m.payload) > 0xffff {
		return b, errors.New("dtls: heartbeat payload longer than 65535 bytes")
	}
	b = append(b, m.typ, byte(len(m.payload)>>8), byte(len(m.payload)))
	return append(b, m.payload...), nil
}

// unmarshal parses a heartbeat record's plaintext. A message whose
// payload_length leaves fewer than 16 bytes of padding, or runs past the
// record, is invalid and must be discarded silently (RFC 6520 §4).
func (m *heartbeatMessage) unmarshal(b []byte) bool {
	s := cryptobyte.String(b)
	if !s.ReadUint8(&m.typ) || !s.ReadUint16LengthPrefixed((*cryptobyte.String)(&m.payload)) {
		return false
	}
	m.padding = len(s)
	return m.padding >= heartbeatMinPadding && (m.typ == heartbeatRequest || m.typ == heartbeatResponse)
}
