package dtls

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// The stateless cookie of DTLS 1.3 (RFC 9147 §5.1, RFC 8446 §4.2.2): a
// HelloRetryRequest carries it, and the second ClientHello returns it. It
// holds what the server needs to continue the transcript without having
// kept anything: the suite and group the HelloRetryRequest named, and the
// hash of the first ClientHello; a MAC under the cookie secret binds them
// to the client's address.
//
//	version(1) = 1 | suite(2) | group(2) | flags(1) | hash_len(1) | hash | mac(32)
//
// flags bit 0 says that the HelloRetryRequest asked for a key share of the
// group.
type cookie13 struct {
	suite    uint16
	group    uint16
	askShare bool
	chHash   []byte
}

const cookie13Version = 1

// seal returns the cookie with its MAC under secret for remote.
func (k *cookie13) seal(secret [32]byte, remote netip.AddrPort) []byte {
	b := []byte{cookie13Version, 0, 0, 0, 0, 0, byte(len(k.chHash))}
	binary.BigEndian.PutUint16(b[1:], k.suite)
	binary.BigEndian.PutUint16(b[3:], k.group)
	if k.askShare {
		b[5] = 1
	}
	b = append(b, k.chHash...)
	return append(b, cookie13MAC(secret, remote, b)...)
}

func cookie13MAC(secret [32]byte, remote netip.AddrPort, body []byte) []byte {
	m := hmac.New(sha256.New, secret[:])
	ip := remote.Addr().As16()
	m.Write(ip[:])
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], remote.Port())
	m.Write(port[:])
	m.Write(body)
	return m.Sum(nil)
}

// openCookie13 checks a cookie against the current and previous secrets
// and returns what it holds.
func (c *Config) openCookie13(b []byte, remote netip.AddrPort) (cookie13, bool) {
	var k cookie13
	if len(b) < 7+sha256.Size || b[0] != cookie13Version {
		return k, false
	}
	n := int(b[6])
	if len(b) != 7+n+sha256.Size || b[5] > 1 {
		return k, false
	}
	body, mac := b[:7+n], b[7+n:]
	cur, prev, hasPrev, err := c.cookieJar().secrets(c)
	if err != nil {
		return k, false
	}
	ok := hmac.Equal(mac, cookie13MAC(cur, remote, body))
	if !ok && hasPrev {
		ok = hmac.Equal(mac, cookie13MAC(prev, remote, body))
	}
	if !ok {
		return k, false
	}
	k.suite = binary.BigEndian.Uint16(b[1:])
	k.group = binary.BigEndian.Uint16(b[3:])
	k.askShare = b[5] == 1
	k.chHash = body[7:]
	return k, true
}

// verifyHello13 is the cookie exchange for a ClientHello that offers DTLS
// 1.3: a second ClientHello whose cookie verifies, and which has the key
// share the HelloRetryRequest asked for, is accepted; a first one gets a
// HelloRetryRequest with a cookie, and no state is kept (RFC 9147 §5.1).
// Without the cookie exchange (Config.InsecureNoCookie), only a
// ClientHello without a usable key share gets a HelloRetryRequest. One we
// cannot serve at all is accepted, for the handshake to refuse it with
// the right alert.
func (c *Config) verifyHello13(p *parsedHello, remote netip.AddrPort) (reply []byte, accept bool) {
	cs, ok := c.choose13(p.ch)
	if !ok {
		return nil, true
	}
	if b := p.ch.Extensions.Cookie; len(b) > 0 {
		k, ok := c.openCookie13(b, remote)
		return nil, ok && k.suite == cs.suite.id && k.group == cs.group && cs.share != nil
	}
	if cs.share != nil && c.InsecureNoCookie {
		return nil, true
	}
	cur, _, _, err := c.cookieJar().secrets(c)
	if err != nil {
		return nil, false
	}
	k := cookie13{suite: cs.suite.id, group: cs.group, askShare: cs.share == nil}
	k.chHash = clientHelloHash(cs.suite, p.body)
	body, err := helloRetryRequest13(p.ch, &k, k.seal(cur, remote))
	if err != nil {
		return nil, false
	}
	return plainHandshakeDatagram(handshake.TypeServerHello, p.hh.MessageSeq, p.rh.Seq, body), false
}

// clientHelloHash is the hash of a ClientHello as TLS 1.3 frames it.
func clientHelloHash(s *suite13, body []byte) []byte {
	d := s.hash.New()
	d.Write(tlsMessage(nil, handshake.TypeClientHello, body))
	return d.Sum(nil)
}

// helloRetryRequest13 builds the HelloRetryRequest of a cookie (RFC 8446
// §4.1.4): the server builds it again, byte for byte, from the second
// ClientHello and the cookie, for its transcript.
func helloRetryRequest13(ch *handshake.ClientHello, k *cookie13, cookie []byte) ([]byte, error) {
	hrr := handshake.ServerHello{
		Version:     VersionDTLS12,
		Random:      handshake.HelloRetryRequestRandom,
		SessionID:   ch.SessionID,
		CipherSuite: k.suite,
	}
	hrr.Extensions.SelectedVersion = VersionDTLS13
	if k.askShare {
		hrr.Extensions.HRRGroup = k.group
	}
	hrr.Extensions.Cookie = cookie
	return hrr.Marshal()
}

// plainHandshakeDatagram returns a datagram of one epoch-0 record holding
// one whole handshake message, numbered as given: a stateless reply reuses
// the numbers of the ClientHello it answers (RFC 9147 §5.1).
func plainHandshakeDatagram(typ handshake.Type, msgSeq uint16, recSeq uint64, body []byte) []byte {
	h := handshake.Header{Type: typ, Length: uint32(len(body)), MessageSeq: msgSeq, FragmentLength: uint32(len(body))}
	payload := append(h.Append(nil), body...)
	rh := record.Header{Type: record.Handshake, Version: VersionDTLS12, Seq: recSeq}
	return record.AppendRecord(nil, rh, payload, record.NewNull())
}
