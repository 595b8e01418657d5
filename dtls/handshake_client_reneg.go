package dtls

import (
	"crypto/hmac"
	"errors"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// checkRenegotiationInfo checks the ServerHello's renegotiation_info (RFC
// 5746 §3.4, §3.5): empty in a first handshake, where it says that the
// server supports secure renegotiation; in a renegotiation, present and
// holding the verify_data of both sides' last Finished messages, ours
// first.
func (hs *clientHandshake) checkRenegotiationInfo(sh *handshake.ServerHello) error {
	c, ext := hs.c, &sh.Extensions
	if !hs.renegotiating() {
		if ext.SecureRenegotiation && len(ext.RenegotiationInfo) != 0 {
			return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: non-empty renegotiation_info in initial handshake"))
		}
		hs.secureReneg = ext.SecureRenegotiation
		return nil
	}
	r := &c.in.reneg
	want := append(r.clientFin[:], r.serverFin[:]...)
	if !ext.SecureRenegotiation || !hmac.Equal(ext.RenegotiationInfo, want) {
		return c.sendAlert(AlertHandshakeFailure, errors.New("dtls: the server's renegotiation_info does not carry the last Finished messages (RFC 5746)"))
	}
	hs.secureReneg = true
	return nil
}
