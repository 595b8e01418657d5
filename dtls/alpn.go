package dtls

import (
	"errors"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// Application-Layer Protocol Negotiation (RFC 7301), as crypto/tls does
// it: the client offers Config.NextProtos, the server picks the first of
// its own that the client offers, and ConnectionState.NegotiatedProtocol
// says which.

// takeALPN checks the server's choice: one protocol, one we offered.
func (hs *clientHandshake) takeALPN(sh *handshake.ServerHello) error {
	chosen := sh.Extensions.ALPNProtocols
	if len(chosen) == 0 {
		return nil
	}
	if len(chosen) != 1 || !slices.Contains(hs.c.config.NextProtos, chosen[0]) {
		return hs.c.sendAlert(AlertUnsupportedExtension, errors.New("dtls: server chose an application protocol we did not offer"))
	}
	hs.alpn = chosen[0]
	return nil
}

// answerALPN picks the application protocol. A client that offers some,
// none of which the server has, gets no_application_protocol (RFC 7301
// §3.2); a server without NextProtos ignores the extension.
func (hs *serverHandshake) answerALPN(sh *handshake.ServerHello) error {
	offered, ours := hs.ch.Extensions.ALPNProtocols, hs.c.config.NextProtos
	if len(offered) == 0 || len(ours) == 0 {
		return nil
	}
	for _, p := range ours {
		if slices.Contains(offered, p) {
			hs.alpn = p
			sh.Extensions.ALPNProtocols = []string{p}
			return nil
		}
	}
	return hs.c.sendAlert(AlertNoApplicationProtocol, errors.New("dtls: the client offers no application protocol of ours"))
}
