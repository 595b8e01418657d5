package dtls

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
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
func (s *cookieSecrets) secrets(cfg *Config) (cur, prev [32]byte, hasPrev bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := cfg.now()
	if s.since.IsZero() || now.Sub(s.since) >= cfg.cookieLifetime() {
		s.prev, s.hasPrev = s.cur, !s.since.IsZero()
		if _, err := io.ReadFull(cfg.rand(), s.cur[:]); err != nil {
			return cur, prev, false, err
		}
		s.since = now
	}
	return s.cur, s.prev, s.hasPrev, nil
}

// cookieMACs keeps HMAC-SHA256 states for cookies, each keyed with the
// secret it was made for: a state is reset rather than made anew when its
// secret is still in use, which spares the allocations of a MAC per
// ClientHello.
var cookieMACs = sync.Pool{New: func() any { return new(cookieMAC) }}

type cookieMAC struct {
	key [32]byte
	mac hash.Hash
	sum [sha256.Size]byte
	// buf holds the fixed-size fields on their way into mac: a local
	// array passed to an interface method would be allocated per call.
	buf [2 + 16 + 2 + 32 + 1]byte
}

// computeCookie returns HMAC-SHA256(secret, client address and port, the
// ClientHello's version, random, session_id, cipher_suites and
// compression_methods), as RFC 6347 §4.2.1 suggests, in out.
func computeCookie(out *[sha256.Size]byte, secret [32]byte, remote netip.AddrPort, ch *handshake.ClientHello) {
	m := cookieMACs.Get().(*cookieMAC)
	defer cookieMACs.Put(m)
	if m.mac == nil || m.key != secret {
		m.key, m.mac = secret, hmac.New(sha256.New, secret[:])
	} else {
		m.mac.Reset()
	}
	b := m.buf[:] // lengths fit: the fields are fixed-size or short
	a := remote.Addr().As16()
	copy(b, a[:])
	binary.BigEndian.PutUint16(b[16:], remote.Port())
	binary.BigEndian.PutUint16(b[18:], ch.Version)
	copy(b[20:], ch.Random[:])
	b[52] = byte(len(ch.SessionID))
	m.mac.Write(b[:53])
	m.mac.Write(ch.SessionID)
	binary.BigEndian.PutUint16(b, uint16(2*len(ch.CipherSuites)))
	m.mac.Write(b[:2])
	for _, id := range ch.CipherSuites {
		binary.BigEndian.PutUint16(b, id)
		m.mac.Write(b[:2])
	}
	b[0] = byte(len(ch.CompressionMethods))
	m.mac.Write(b[:1])
	m.mac.Write(ch.CompressionMethods)
	m.mac.Sum(m.sum[:0])
	*out = m.sum
}

// A parsedHello is a ClientHello that arrived whole in the first record of a
// datagram: that record's header, its handshake header, the message and its
// body, and the rest of the datagram.
type parsedHello struct {
	rh   record.Header
	hh   handshake.Header
	ch   *handshake.ClientHello // points to hello
	body []byte
	rest []byte

	hello handshake.ClientHello
}

// parseHello parses the ClientHello at the start of datagram.
func parseHello(datagram []byte) (*parsedHello, bool) {
	rh, frag, rest, ok := record.Split(datagram)
	if !ok || rh.Type != record.Handshake || rh.Epoch != 0 {
		return nil, false
	}
	hh, body, _, ok := handshake.ParseFragment(frag)
	if !ok || hh.Type != handshake.TypeClientHello || hh.FragmentOffset != 0 || hh.FragmentLength != hh.Length {
		return nil, false
	}
	p := &parsedHello{rh: rh, hh: hh, body: body, rest: rest}
	if p.ch = &p.hello; !p.ch.Unmarshal(body) {
		return nil, false
	}
	return p, true
}

// parseFirstClientHello extracts an epoch-0 ClientHello that arrives whole
// in the first record of a datagram, with that record's header, its handshake
// header and its body. Anything else returns ok false.
func parseFirstClientHello(datagram []byte) (rh record.Header, hh handshake.Header, ch *handshake.ClientHello, body []byte, ok bool) {
	p, ok := parseHello(datagram)
	if !ok {
		return rh, hh, nil, nil, false
	}
	return p.rh, p.hh, p.ch, p.body, true
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
	p, ok := parseHello(datagram)
	if !ok {
		return nil, false
	}
	return c.verifyHello(p, addrPortOf(remote))
}

// verifyHello is VerifyClientHello for a parsed ClientHello.
func (c *Config) verifyHello(p *parsedHello, remote netip.AddrPort) (reply []byte, accept bool) {
	if c.offers13(p.ch) {
		return c.verifyHello13(p, remote)
	}
	if c.InsecureNoCookie {
		return nil, true
	}
	cur, prev, hasPrev, err := c.cookieJar().secrets(c)
	if err != nil {
		return nil, false
	}
	var want [sha256.Size]byte
	computeCookie(&want, cur, remote, p.ch)
	if len(p.ch.Cookie) > 0 {
		ok := hmac.Equal(p.ch.Cookie, want[:])
		if !ok && hasPrev {
			var old [sha256.Size]byte
			computeCookie(&old, prev, remote, p.ch)
			ok = hmac.Equal(p.ch.Cookie, old[:])
		}
		if ok {
			return nil, true
		}
	}
	return helloVerifyRequest(p.rh, p.hh, want[:]), false
}

// addrPortOf returns the IP address and port of a, unmapped; the zero
// AddrPort if a names none.
func addrPortOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case nil:
	default:
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
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
