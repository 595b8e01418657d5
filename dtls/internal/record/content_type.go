package record

import "strconv"

// ContentType is the type of a record's content (RFC 6347, Section 4.1;
// RFC 5246, Section 6.2.1).
type ContentType uint8

// The content types of RFC 5246, Section 6.2.1, the heartbeat content type
// of RFC 6520, and the ack content type of DTLS 1.3 (RFC 9147, Section 7).
const (
	ChangeCipherSpec ContentType = 20
	Alert            ContentType = 21
	Handshake        ContentType = 22
	ApplicationData  ContentType = 23
	Heartbeat        ContentType = 24
	ACK              ContentType = 26
)

// String returns the name the RFCs give t, such as "application_data", or
// "ContentType(n)" for a type this package does not know.
func (t ContentType) String() string {
	switch t {
	case ChangeCipherSpec:
		return "change_cipher_spec"
	case Alert:
		return "alert"
	case Handshake:
		return "handshake"
	case ApplicationData:
		return "application_data"
	case Heartbeat:
		return "heartbeat"
	case ACK:
		return "ack"
	}
	return "ContentType(" + strconv.Itoa(int(t)) + ")"
}
