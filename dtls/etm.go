package dtls

import (
	"errors"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// Encrypt-then-MAC (RFC 7366): with the CBC suites, the MAC covers the
// ciphertext instead of the plaintext, so that a record is authenticated
// before it is decrypted and padding is never looked at for a forgery.
// pathdtls asks for it, and grants it, whenever a CBC suite may be used;
// each handshake negotiates it anew.

// offersCBC reports whether the ClientHello offers a CBC suite.
func offersCBC(ch *handshake.ClientHello) bool {
	for _, id := range ch.CipherSuites {
		if s := suiteByID(id); s != nil && s.cbc() {
			return true
		}
	}
	return false
}

// takeEncryptThenMAC checks the server's encrypt_then_mac: only in answer
// to ours, and only with a CBC suite (RFC 7366 §3).
func (hs *clientHandshake) takeEncryptThenMAC(sh *handshake.ServerHello) error {
	if !sh.Extensions.EncryptThenMAC {
		return nil
	}
	if !hs.hello.Extensions.EncryptThenMAC || !hs.suite.cbc() {
		return hs.c.sendAlert(AlertUnsupportedExtension, errors.New("dtls: server sent encrypt_then_mac for a suite or a hello that has none"))
	}
	hs.etm = true
	return nil
}

// answerEncryptThenMAC grants encrypt_then_mac if the client asks and the
// suite is a CBC one (RFC 7366 §3).
func (hs *serverHandshake) answerEncryptThenMAC(sh *handshake.ServerHello) {
	if hs.ch.Extensions.EncryptThenMAC && hs.suite.cbc() {
		sh.Extensions.EncryptThenMAC, hs.etm = true, true
	}
}
