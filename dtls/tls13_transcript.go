package dtls

import (
	"crypto"
	"encoding/binary"
	"hash"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// typeMessageHash is the message_hash handshake type that stands in the
// transcript for the first ClientHello after a HelloRetryRequest (RFC 8446
// §4.4.1).
const typeMessageHash = 254

// transcript13 is what DTLS 1.3 hashes of a handshake (RFC 9147 §5.2):
// each message as TLS 1.3 frames it, its type and 24-bit length with none
// of DTLS's message_seq and fragment fields. The engine keeps the
// transcript as DTLS 1.2 does (whole messages with their 12-byte DTLS
// headers, hsBase.transcript), which also tells a retransmission from a
// forgery; the hash is computed from it when needed, a few times per
// handshake.
type transcript13 struct {
	h crypto.Hash
	// prefix is hashed before the messages of hsBase.transcript: the
	// message_hash of the first ClientHello and the HelloRetryRequest,
	// for a server that sent the latter without keeping state.
	prefix []byte
	// hrr says that the first message of hsBase.transcript is a first
	// ClientHello that a HelloRetryRequest answered, hashed as message_hash.
	hrr bool
}

// sum returns the transcript hash of t, a run of DTLS handshake messages
// with their 12-byte headers.
func (tr *transcript13) sum(t []byte) []byte {
	d := tr.h.New()
	tr.write(d, t)
	return d.Sum(nil)
}

// write writes the prefix and the messages of t to d as sum hashes them.
func (tr *transcript13) write(d hash.Hash, t []byte) {
	d.Write(tr.prefix)
	first := true
	for len(t) >= handshake.HeaderLen {
		n := int(t[1])<<16 | int(t[2])<<8 | int(t[3])
		if len(t) < handshake.HeaderLen+n {
			break
		}
		body := t[handshake.HeaderLen : handshake.HeaderLen+n]
		if first && tr.hrr {
			d.Write(messageHash(tr.h, t[0], body))
		} else {
			d.Write(t[:4])
			d.Write(body)
		}
		first = false
		t = t[handshake.HeaderLen+n:]
	}
}

// messageHash returns the message_hash message standing for a first
// ClientHello of the given type and body (RFC 8446 §4.4.1).
func messageHash(h crypto.Hash, typ byte, body []byte) []byte {
	d := h.New()
	var hdr [4]byte
	hdr[0] = typ
	binary.BigEndian.PutUint16(hdr[2:], uint16(len(body)))
	hdr[1] = byte(len(body) >> 16)
	d.Write(hdr[:])
	d.Write(body)
	return messageHashOf(h, d.Sum(nil))
}

// messageHashOf returns the message_hash message carrying the hash of a
// first ClientHello.
func messageHashOf(h crypto.Hash, chHash []byte) []byte {
	out := []byte{typeMessageHash, 0, 0, byte(h.Size())}
	return append(out, chHash...)
}

// tlsMessage appends a message framed as TLS 1.3 frames it.
func tlsMessage(dst []byte, typ handshake.Type, body []byte) []byte {
	n := len(body)
	dst = append(dst, byte(typ), byte(n>>16), byte(n>>8), byte(n))
	return append(dst, body...)
}
