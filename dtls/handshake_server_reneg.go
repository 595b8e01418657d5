package dtls

import (
	"crypto/hmac"
	"errors"
	"log/slog"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// checkRenegotiationInfo checks the ClientHello's renegotiation_info (RFC
// 5746 §3.6, §3.7): empty in a first handshake, where the extension or the
// SCSV says that the client supports secure renegotiation; in a
// renegotiation, present, without the SCSV, and holding the verify_data
// of the client's last Finished.
func (hs *serverHandshake) checkRenegotiationInfo() error {
	c, ext := hs.c, &hs.ch.Extensions
	scsv := slices.Contains(hs.ch.CipherSuites, scsvRenegotiation)
	if !hs.renegotiating() {
		if ext.SecureRenegotiation && len(ext.RenegotiationInfo) != 0 {
			return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: non-empty renegotiation_info in initial handshake"))
		}
		hs.secureReneg = ext.SecureRenegotiation || scsv
		return nil
	}
	if scsv || !ext.SecureRenegotiation || !hmac.Equal(ext.RenegotiationInfo, c.in.reneg.clientFin[:]) {
		return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: the client's renegotiation_info does not carry its last Finished (RFC 5746)"))
	}
	hs.secureReneg = true
	return nil
}

// renegotiationHello takes the ClientHello of a renegotiation, the first
// message of the new handshake, in the current epoch: no cookie exchange,
// the record layer having authenticated it. The version stays the one
// negotiated, and the Config the association's: GetConfigForClient chose
// it for the first handshake, and SendHeartbeat and the record layer read
// c.config without c.in's lock.
func (hs *serverHandshake) renegotiationHello(m fragment.Message) error {
	c := hs.c
	if m.Type != handshake.TypeClientHello {
		return hs.unexpected(m, "ClientHello")
	}
	ch := new(handshake.ClientHello)
	if !ch.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	hs.ch = ch
	if c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "renegotiation ClientHello received", "renegotiation: received ClientHello")
	}
	return hs.answerClientHello()
}
