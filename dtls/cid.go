package dtls

import (
	"errors"
	"fmt"
	"io"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// Connection IDs (RFC 9146): each side may ask the other to put an ID of
// its choosing in every protected record it sends, in the tls12_cid record
// format, so that the association is found by that ID rather than by the
// peer's address. A client whose NAT binding changed keeps its
// association: the server finds it by ID and moves it to the new address
// once a record from there authenticates and is newer than any before it
// (RFC 9146 §6), which package transport does.

// A ConnectionIDConfig turns on connection IDs (RFC 9146).
type ConnectionIDConfig struct {
	// Length is the length of the IDs this side asks its peer to put in
	// the records it sends, 0 to 255 bytes. 0 asks for none, while
	// putting the peer's in the records this side sends: what a client
	// on a connected socket wants, and the peer's ID is what lets a
	// server find it after its address changed. A server that routes by
	// ID needs a Length of at least 1; the records do not say how long
	// the ID is, so every ID of a Config has this length.
	Length int
	// Generate, if set, returns a new ID of Length bytes for each
	// handshake, so that an application or a load balancer can encode
	// what it needs in it, such as which server holds the association.
	// IDs must be unique among a server's associations. Nil means random
	// IDs from Config.Rand.
	Generate func() ([]byte, error)
}

// check reports a ConnectionIDConfig that cannot work.
func (cc *ConnectionIDConfig) check() error {
	if cc.Length < 0 || cc.Length > record.MaxCIDLen {
		return fmt.Errorf("dtls: ConnectionIDConfig.Length %d is outside [0, %d]", cc.Length, record.MaxCIDLen)
	}
	return nil
}

// newConnectionID returns the ID this side asks its peer to send.
func (c *Config) newConnectionID() ([]byte, error) {
	cc := c.ConnectionID
	if cc.Length == 0 {
		return []byte{}, nil
	}
	if cc.Generate == nil {
		id := make([]byte, cc.Length)
		_, err := io.ReadFull(c.rand(), id)
		return id, err
	}
	id, err := cc.Generate()
	if err != nil {
		return nil, err
	}
	if len(id) != cc.Length {
		return nil, fmt.Errorf("dtls: ConnectionIDConfig.Generate returned %d bytes, not Length %d", len(id), cc.Length)
	}
	return id, nil
}

// cidState is what a handshake negotiates of connection IDs: whether they
// are in use, the ID this side receives (own) and the one it sends (peer).
type cidState struct {
	on        bool
	own, peer []byte
}

// ownConnectionID returns the ID to offer in a hello: the one in use, in a
// renegotiation, so that the association is still found by it; else a new
// one. c.in is held.
func (hs *hsBase) ownConnectionID() ([]byte, error) {
	if hs.renegotiating() && hs.c.in.cid != nil {
		return hs.c.in.cid, nil
	}
	return hs.c.config.newConnectionID()
}

// offerConnectionID puts our connection_id extension in a ClientHello, if
// the Config turns connection IDs on (RFC 9146 §3).
func (hs *clientHandshake) offerConnectionID(ext *handshake.Extensions) error {
	if hs.c.config.ConnectionID == nil {
		return nil
	}
	own, err := hs.ownConnectionID()
	if err != nil {
		return err
	}
	ext.HasConnectionID, ext.ConnectionID = true, own
	hs.cid.own = own
	return nil
}

// takeConnectionID takes the server's connection_id extension: only in
// answer to ours.
func (hs *clientHandshake) takeConnectionID(sh *handshake.ServerHello) error {
	ext := &sh.Extensions
	if !ext.HasConnectionID {
		return nil
	}
	if !hs.hello.Extensions.HasConnectionID || sh.Version != VersionDTLS12 {
		return hs.c.sendAlert(AlertUnsupportedExtension, errors.New("dtls: server sent a connection_id extension we did not ask for, or in DTLS 1.0"))
	}
	hs.cid.on, hs.cid.peer = true, ownCopy(ext.ConnectionID)
	return nil
}

// answerConnectionID puts our connection_id extension in the ServerHello
// if the client offered one, the Config turns connection IDs on, and the
// version is DTLS 1.2, which RFC 9146 extends, or DTLS 1.3 (RFC 9147 §9).
func (hs *serverHandshake) answerConnectionID(sh *handshake.ServerHello) error {
	if !hs.ch.Extensions.HasConnectionID || hs.c.config.ConnectionID == nil ||
		hs.vers != VersionDTLS12 && hs.vers != VersionDTLS13 {
		return nil
	}
	own, err := hs.ownConnectionID()
	if err != nil {
		return hs.c.sendAlert(AlertInternalError, err)
	}
	sh.Extensions.HasConnectionID, sh.Extensions.ConnectionID = true, own
	hs.cid = cidState{on: true, own: own, peer: ownCopy(hs.ch.Extensions.ConnectionID)}
	return nil
}

// ownIfOn and peerIfOn return the IDs for ConnectionState: nil when
// connection IDs are not in use.
func (s *cidState) ownIfOn() []byte {
	if !s.on {
		return nil
	}
	return s.own
}

func (s *cidState) peerIfOn() []byte {
	if !s.on {
		return nil
	}
	return s.peer
}

// ownCopy returns a copy of an ID parsed from a hello, whose body the
// engine reuses; empty, not nil, for an empty ID, for ConnectionState to
// tell from none.
func ownCopy(b []byte) []byte {
	return append([]byte{}, b...)
}
