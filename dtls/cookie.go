package dtls

import (
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
	"golang.org/x/crypto/cryptobyte"
)

// cookieSecrets holds the server's cookie secrets: the current one and the one
// before it, so that a cookie issued just before a rotation still verifies
// (RFC 6347 §4.2.1). It is the only state the cookie exchange keeps, and it is
// per Config, never per client.
type cookieSecrets struct {
	mu      sync.Mutex
	cur     [32]byte
	prev    [32]byte
	hasPrev bool
	since   time.Time
}

func (c *Config) cookieJar() *cookieSecrets {
	c.cookieOnce.Do(func() { c.cookies = &cookieSecrets{} })
	return c.cookies
}

// secrets returns the current and (if any) previous secret, rotating first if
// the current one has outlived the configured lifetime.
func (s *cookieSecrets) secrets(cfg *Config) (cur []byte, prev []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := cfg.now()
	if s.since.IsZero() || now.Sub(s.since) >= cfg.cookieLifetime() {
		s.prev, s.hasPrev = s.cur, !s.since.IsZero()
		if _, err := io.ReadFull(cfg.rand(), s.cur[:]); err != nil {
			return nil, nil, err
		}
		s.since = now
	}
	cur = append(cur, s.cur[:]...)
	if s.hasPrev {
		prev = append(prev, s.prev[:]...)
	}
	return cur, prev, nil
}

// computeCookie returns HMAC-SHA256(secret, client address and port, the
// ClientHello's version, random, session_id, cipher_suites and
// compression_methods), as RFC 6347 §4.2.1 suggests.
func computeCookie(secret []byte, remote net.Addr, ch *handshake.ClientHello) []byte {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(remote.String())) })
	b.AddUint16(ch.Version)
	b.AddBytes(ch.Random[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ch.SessionID) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range ch.CipherSuites {
			b.AddUint16(s)
		}
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ch.CompressionMethods) })
	mac := hmac.New(sha256.New, secret)
	mac.Write(b.BytesOrPanic())
	return mac.Sum(nil)
}

// parseFirstClientHello extracts an epoch-0 ClientHello that arrives whole
// in the first record of a datagram, with that record's header, its handshake
// header and its body. Anything else returns ok false.
func parseFirstClientHello(datagram []byte) (rh record.Header, hh handshake.Header, ch *handshake.ClientHello, body []byte, ok bool) {
	rh, frag, _, ok := record.Split(datagram)
	if !ok || rh.Type != record.Handshake || rh.Epoch != 0 {
		return rh, hh, nil, nil, false
	}
	hh, body, _, ok = handshake.ParseFragment(frag)
	if !ok || hh.Type != handshake.TypeClientHello || hh.FragmentOffset != 0 || hh.FragmentLength != hh.Length {
		return rh, hh, nil, nil, false
	}
	ch = new(handshake.ClientHello)
	if !ch.Unmarshal(body) {
		return rh, hh, nil, nil, false
	}
	return rh, hh, ch, body, true
}

// VerifyClientHello is the stateless first step of a DTLS server (RFC 6347
// §4.2.1), for servers that read a shared socket and demultiplex associations
// themselves. It looks at a datagram from remote that belongs to no
// association:
//
//   - a ClientHello with a valid cookie (or any ClientHello when
//     InsecureNoCookie is set): accept is true; create the association and
//     give it this datagram first;
//   - a ClientHello without a valid cookie: reply is a HelloVerifyRequest
//     datagram to send back to remote, and nothing is remembered;
//   - anything else: neither; drop the datagram.
func (c *Config) VerifyClientHello(datagram []byte, remote net.Addr) (reply []byte, accept bool) {
	rh, hh, ch, _, ok := parseFirstClientHello(datagram)
	if !ok {
		return nil, false
	}
	if c.InsecureNoCookie {
		return nil, true
	}
	cur, prev, err := c.cookieJar().secrets(c)
	if err != nil {
		return nil, false
	}
	if len(ch.Cookie) > 0 {
		if hmac.Equal(ch.Cookie, computeCookie(cur, remote, ch)) ||
			(prev != nil && hmac.Equal(ch.Cookie, computeCookie(prev, remote, ch))) {
			return nil, true
		}
	}
	return helloVerifyRequest(rh, hh, computeCookie(cur, remote, ch)), false
}

// helloVerifyRequest builds the HelloVerifyRequest datagram answering a
// ClientHello. It reuses the ClientHello's record sequence number and
// message_seq, so the server keeps no state (RFC 6347 §4.2.1), and says DTLS
// 1.0 in both version fields as RFC 6347 §4.2.1 recommends.
func helloVerifyRequest(rh record.Header, hh handshake.Header, cookie []byte) []byte {
	hvr := handshake.HelloVerifyRequest{Version: VersionDTLS10, Cookie: cookie}
	body, err := hvr.Marshal()
	if err != nil {
		return nil
	}
	h := handshake.Header{
		Type:           handshake.TypeHelloVerifyRequest,
		Length:         uint32(len(body)),
		MessageSeq:     hh.MessageSeq,
		FragmentLength: uint32(len(body)),
	}
	payload := append(h.Append(nil), body...)
	out := record.Header{Type: record.Handshake, Version: VersionDTLS10, Seq: rh.Seq}
	return record.AppendRecord(nil, out, payload, record.NewNull())
}
