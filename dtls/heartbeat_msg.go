package dtls

import "golang.org/x/crypto/cryptobyte"

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

// marshal appends the message to b. The padding bytes are taken from pad,
// which must hold at least m.padding bytes (RFC 6520 §4: random).
func (m *heartbeatMessage) marshal(b []byte, pad []byte) ([]byte, error) {
	bb := cryptobyte.NewBuilder(b)
	bb.AddUint8(m.typ)
	bb.AddUint16LengthPrefixed(func(bb *cryptobyte.Builder) { bb.AddBytes(m.payload) })
	bb.AddBytes(pad[:m.padding])
	return bb.Bytes()
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
