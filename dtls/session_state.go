package dtls

import (
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls/internal/prf"
)

// sessionStateFormat is the first byte of a sealed session state: a
// server that changes the encoding changes it, and refuses the states of
// another format (the client then gets a full handshake).
const sessionStateFormat = 1

// A sessionState is what a session ticket holds (RFC 5077 §4 leaves its
// encoding to the server):
//
//	struct {
//	    uint8  format;                          /* sessionStateFormat */
//	    uint16 version;
//	    uint16 cipher_suite;
//	    opaque master_secret[48];
//	    uint64 created;                         /* Unix time, seconds */
//	    opaque server_name<0..255>;
//	    opaque psk_identity<0..2^16-1>;
//	    ASN.1Cert client_certificates<0..2^24-1>;
//	} SessionState;
//
// The client's certificates are kept as the client sent them, and
// verified again by the server that resumes the session, against its own
// ClientCAs. Only sessions with the extended master secret are sealed
// (RFC 7627 §5.3), so the state does not record it.
type sessionState struct {
	vers       uint16
	suite      uint16
	master     [prf.MasterSecretLen]byte
	created    int64 // Unix seconds
	serverName string
	identity   []byte
	certs      [][]byte // DER, the client's own first
}

// marshal returns the encoded state.
func (s *sessionState) marshal() ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(sessionStateFormat)
	b.AddUint16(s.vers)
	b.AddUint16(s.suite)
	b.AddBytes(s.master[:])
	b.AddUint64(uint64(s.created))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.serverName)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.identity) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, der := range s.certs {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(der) })
		}
	})
	return b.Bytes()
}

// unmarshal parses an encoded state into s and reports whether it is well
// formed, of this format, with nothing left over. s's byte slices alias
// data.
func (s *sessionState) unmarshal(data []byte) bool {
	*s = sessionState{}
	in := cryptobyte.String(data)
	var format uint8
	var created uint64
	var name, identity, certs cryptobyte.String
	if !in.ReadUint8(&format) || format != sessionStateFormat ||
		!in.ReadUint16(&s.vers) || !in.ReadUint16(&s.suite) ||
		!in.CopyBytes(s.master[:]) || !in.ReadUint64(&created) ||
		!in.ReadUint8LengthPrefixed(&name) ||
		!in.ReadUint16LengthPrefixed(&identity) ||
		!in.ReadUint24LengthPrefixed(&certs) || !in.Empty() {
		return false
	}
	if created > 1<<62 {
		return false
	}
	s.created, s.serverName = int64(created), string(name)
	if len(identity) > 0 {
		s.identity = identity
	}
	for !certs.Empty() {
		var der cryptobyte.String
		if !certs.ReadUint24LengthPrefixed(&der) || der.Empty() {
			return false
		}
		s.certs = append(s.certs, der)
	}
	return true
}

// stateOf returns the state of session s, to be sealed in a ticket.
func stateOf(s *session) *sessionState {
	st := &sessionState{
		vers: s.vers, suite: s.suite, master: s.master,
		created: s.created.Unix(), serverName: s.serverName, identity: s.identity,
	}
	for _, c := range s.peerCerts {
		st.certs = append(st.certs, c.Raw)
	}
	return st
}

// createdTime returns when the state's session was created.
func (s *sessionState) createdTime() time.Time { return time.Unix(s.created, 0) }
