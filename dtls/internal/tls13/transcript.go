package tls13

import (
	"crypto"
	"hash"
)

// The handshake types the transcript writes itself (RFC 8446, Section 4).
const (
	typeClientHello = 1
	typeMessageHash = 254
)

// maxMessage is the largest body a handshake header can announce (uint24).
const maxMessage = 1<<24 - 1

// A Transcript is the running hash of a handshake's messages, as DTLS 1.3
// hashes them: each message as its TLS 1.3 Handshake structure,
// msg_type ‖ uint24 length ‖ body, without the DTLS fields message_seq,
// fragment_offset and fragment_length (RFC 9147, Sections 5.2 and 5.5),
// and reassembled, so the hash does not depend on how the message was
// fragmented. EndOfEarlyData is not part of a DTLS 1.3 transcript (RFC 9147,
// Section 5.6), and neither are ACKs, which are not handshake messages.
//
// A Transcript keeps one hash state and no copy of the messages; a client
// that does not know the cipher suite's hash when it sends its ClientHello
// keeps the ClientHello until the ServerHello or HelloRetryRequest names it.
type Transcript struct {
	hash  crypto.Hash
	state hash.Hash
	hdr   [4]byte
}

// NewTranscript returns an empty transcript hashed with h, or nil if h is
// not available.
func NewTranscript(h crypto.Hash) *Transcript {
	if !h.Available() {
		return nil
	}
	return &Transcript{hash: h, state: h.New()}
}

// Hash returns the transcript's hash function.
func (t *Transcript) Hash() crypto.Hash { return t.hash }

// Add appends the handshake message of type typ and body body, as the
// Handshake structure of RFC 8446, Section 4:
//
//	struct {
//	    HandshakeType msg_type;    /* handshake type */
//	    uint24 length;             /* remaining bytes in message */
//	    select (Handshake.msg_type) { ... };
//	} Handshake;
//
// body is the reassembled message, without any header. A body longer than
// a uint24 cannot be a handshake message; Add ignores it and returns false.
func (t *Transcript) Add(typ uint8, body []byte) bool {
	if len(body) > maxMessage {
		return false
	}
	t.writeHeader(typ, len(body))
	t.state.Write(body)
	return true
}

func (t *Transcript) writeHeader(typ uint8, n int) {
	t.hdr = [4]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}
	t.state.Write(t.hdr[:])
}

// Sum appends the hash of the messages added so far, Transcript-Hash of
// RFC 8446, Section 4.4.1, to dst and returns it. The transcript goes on
// from where it was.
func (t *Transcript) Sum(dst []byte) []byte { return t.state.Sum(dst) }

// AddMessageHash appends the synthetic message_hash message that stands
// for ClientHello1 after a HelloRetryRequest (RFC 8446, Section 4.4.1):
//
//	Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) =
//	    Hash(message_hash ||        /* Handshake type */
//	         00 00 Hash.length  ||  /* Handshake message length (bytes) */
//	         Hash(ClientHello1) ||  /* Hash of ClientHello1 */
//	         HelloRetryRequest  || ... || Mn)
//
// A server that keeps no state between its HelloRetryRequest and the second
// ClientHello (RFC 9147, Section 5.1) starts a new transcript this way from
// the hash of ClientHello1 it put in its cookie. It returns false, adding
// nothing, if clientHello1Hash is not of the transcript's hash size.
func (t *Transcript) AddMessageHash(clientHello1Hash []byte) bool {
	if len(clientHello1Hash) != t.hash.Size() {
		return false
	}
	t.writeHeader(typeMessageHash, len(clientHello1Hash))
	t.state.Write(clientHello1Hash)
	return true
}

// ReplaceWithMessageHash replaces the transcript, which must hold exactly
// ClientHello1, with the message_hash message that stands for it once a
// HelloRetryRequest is sent or received (RFC 8446, Section 4.4.1); the
// HelloRetryRequest is then added as usual.
func (t *Transcript) ReplaceWithMessageHash() {
	var buf [64]byte // the largest hash of the DTLS 1.3 suites (SHA-384) fits
	sum := t.state.Sum(buf[:0])
	t.state.Reset()
	t.AddMessageHash(sum)
}

// BinderHash appends to dst the hash the PSK binders of a ClientHello
// cover: the transcript so far followed by the ClientHello truncated before
// its binders list (RFC 8446, Section 4.2.11.2). The transcript itself is
// not changed.
//
// truncated is the ClientHello body up to, and not including, the binders
// list's length prefix; bodyLen is the length of the whole body, binders
// included, which the Handshake header announces even though the binders
// are not hashed. It returns nil if bodyLen is smaller than
// len(truncated) or too large for a handshake message, or if the hash
// state cannot be cloned.
func (t *Transcript) BinderHash(dst, truncated []byte, bodyLen int) []byte {
	if bodyLen < len(truncated) || bodyLen > maxMessage {
		return nil
	}
	c, ok := t.state.(hash.Cloner)
	if !ok {
		return nil
	}
	fork, err := c.Clone()
	if err != nil {
		return nil
	}
	hdr := [4]byte{typeClientHello, byte(bodyLen >> 16), byte(bodyLen >> 8), byte(bodyLen)}
	fork.Write(hdr[:])
	fork.Write(truncated)
	return fork.Sum(dst)
}
