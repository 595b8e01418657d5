package dtls

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"sync"
	"time"
)

// Session tickets (RFC 5077): a server that issues them keeps no state per
// session. It seals the session in a ticket under a key of its own and
// gives it to the client in a NewSessionTicket message; the client returns
// it in its next ClientHello, and the server that can open it resumes the
// session. A ticket is
//
//	key_name[16] || nonce[12] || AES-256-GCM(session state, additional data key_name)
//
// the AEAD form of the structure RFC 5077 §4 recommends: key_name says
// which key sealed it, so that a server holding several keys tries only
// that one, and the tag authenticates it, so that a client can neither read
// nor alter the state. The nonce is random: a key seals well under the 2^32
// tickets that random nonces allow before it is rotated.

// ticketKeyNameLen, ticketNonceLen and ticketOverhead are the sizes of a
// ticket's parts around the sealed state.
const (
	ticketKeyNameLen = 16
	ticketNonceLen   = 12
	ticketOverhead   = ticketKeyNameLen + ticketNonceLen + 16
)

// A ticketKey seals and opens tickets. It is derived from 32 bytes that
// the application gives (Config.SetSessionTicketKeys) or the Config draws.
type ticketKey struct {
	name    [ticketKeyNameLen]byte
	aead    cipher.AEAD
	created time.Time // when the Config drew it; zero for the application's
}

// newTicketKey derives the key name and the AEAD key from secret with
// HKDF-SHA256 (RFC 5869), so that neither reveals the other. None of the
// steps fails for these sizes; if one did, the key would have no AEAD,
// and would seal and open nothing.
func newTicketKey(secret [32]byte) ticketKey {
	var k ticketKey
	name, err := hkdf.Key(sha256.New, secret[:], nil, "pathdtls ticket key name", ticketKeyNameLen)
	if err != nil {
		return k
	}
	copy(k.name[:], name)
	key, err := hkdf.Key(sha256.New, secret[:], nil, "pathdtls ticket AEAD key", 32)
	if err != nil {
		return k
	}
	if block, err := aes.NewCipher(key); err == nil {
		k.aead, _ = cipher.NewGCM(block)
	}
	return k
}

// ticketKeys holds a server's ticket keys: the application's, if it set
// any, else the ones the Config draws and rotates. The first key seals;
// every key opens.
type ticketKeys struct {
	mu   sync.Mutex
	set  []ticketKey // the application's; nil if it set none
	auto []ticketKey // newest first
}

// SetSessionTicketKeys sets the keys a server seals session tickets with
// (RFC 5077 §4): the first seals new tickets, and each opens the tickets
// it sealed. Servers that share their keys resume each other's sessions,
// as a fleet behind one name must. To rotate, call it again with a new key
// first and the keys of the tickets still to be accepted after it; a
// ticket sealed with a key other than the first is accepted and replaced
// by one sealed with the first. Keys must be secret and random: whoever
// has one can read the master secrets of the sessions it sealed.
//
// Without keys set, a server draws its own, replaces it every
// SessionLifetime and accepts the tickets of a key for a SessionLifetime
// after its replacement. Calling SetSessionTicketKeys with no keys returns
// to that. It may be called while the Config is in use; the keys are
// copied, and Clone copies them.
func (c *Config) SetSessionTicketKeys(keys [][32]byte) {
	var set []ticketKey
	for _, secret := range keys {
		set = append(set, newTicketKey(secret))
	}
	tk := c.ticketKeyring()
	tk.mu.Lock()
	tk.set = set
	tk.mu.Unlock()
}

func (c *Config) ticketKeyring() *ticketKeys {
	c.ticketOnce.Do(func() { c.tickets = new(ticketKeys) })
	return c.tickets
}

// keys returns the keys, the sealing one first, drawing and retiring the
// Config's own as time passes: a new one every lifetime, each kept for a
// lifetime after the next replaces it, so that every ticket it sealed
// expires before it goes.
func (tk *ticketKeys) keys(cfg *Config) ([]ticketKey, error) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.set != nil {
		return tk.set, nil
	}
	now, life := cfg.now(), cfg.sessionLifetime()
	if len(tk.auto) == 0 || now.Sub(tk.auto[0].created) >= life || now.Before(tk.auto[0].created) {
		var secret [32]byte
		if _, err := io.ReadFull(cfg.rand(), secret[:]); err != nil {
			return nil, err
		}
		k := newTicketKey(secret)
		k.created = now
		tk.auto = append([]ticketKey{k}, tk.auto...)
	}
	for i := 1; i < len(tk.auto); i++ {
		if now.Sub(tk.auto[i-1].created) >= life { // replaced a lifetime ago
			tk.auto = tk.auto[:i]
			break
		}
	}
	return tk.auto, nil
}

// sealTicket returns a ticket that holds state, sealed with the first key.
func (c *Config) sealTicket(state []byte) ([]byte, error) {
	keys, err := c.ticketKeyring().keys(c)
	if err != nil {
		return nil, err
	}
	k := &keys[0]
	if k.aead == nil {
		return nil, errors.New("dtls: no session ticket key")
	}
	t := make([]byte, ticketKeyNameLen+ticketNonceLen, len(state)+ticketOverhead)
	copy(t, k.name[:])
	nonce := t[ticketKeyNameLen:]
	if _, err := io.ReadFull(c.rand(), nonce); err != nil {
		return nil, err
	}
	return k.aead.Seal(t, nonce, state, k.name[:]), nil
}

// errBadTicket says that a ticket is not one of ours, or was altered.
var errBadTicket = errors.New("dtls: the session ticket does not open")

// openTicket returns the state a ticket holds, and whether a key other
// than the first sealed it, so that the server replaces it.
func (c *Config) openTicket(t []byte) (state []byte, renew bool, err error) {
	if len(t) < ticketOverhead {
		return nil, false, errBadTicket
	}
	keys, err := c.ticketKeyring().keys(c)
	if err != nil {
		return nil, false, err
	}
	name, nonce, sealed := t[:ticketKeyNameLen], t[ticketKeyNameLen:ticketKeyNameLen+ticketNonceLen], t[ticketKeyNameLen+ticketNonceLen:]
	for i := range keys {
		k := &keys[i]
		if k.aead == nil || subtle.ConstantTimeCompare(name, k.name[:]) != 1 {
			continue
		}
		state, err := k.aead.Open(nil, nonce, sealed, k.name[:])
		if err != nil {
			return nil, false, errBadTicket
		}
		return state, i > 0, nil
	}
	return nil, false, errBadTicket
}
