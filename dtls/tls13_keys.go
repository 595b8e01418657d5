package dtls

import (
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	"errors"
	"slices"

	"github.com/pathdtls/pathdtls/dtls/internal/record"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// VersionDTLS13 is DTLS 1.3 (RFC 9147 §5.3), negotiated with the
// supported_versions extension; its records and hellos say DTLS 1.2 in
// their legacy version fields.
const VersionDTLS13 uint16 = 0xfefc

// DTLS 1.3 cipher suites (RFC 8446 §B.4, RFC 9147 §4.2.3 for the
// record-number masks).
const (
	TLS_AES_128_GCM_SHA256       uint16 = 0x1301
	TLS_AES_256_GCM_SHA384       uint16 = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 uint16 = 0x1303
	TLS_AES_128_CCM_SHA256       uint16 = 0x1304
	TLS_AES_128_CCM_8_SHA256     uint16 = 0x1305
)

// A suite13 is a DTLS 1.3 cipher suite: an AEAD and the hash of the key
// schedule and transcript.
type suite13 struct {
	id     uint16
	name   string
	hash   crypto.Hash
	rec    record.Suite13
	keyLen int
}

var suites13 = []*suite13{
	{TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", crypto.SHA256, record.TLS_AES_128_GCM_SHA256, 16},
	{TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", crypto.SHA384, record.TLS_AES_256_GCM_SHA384, 32},
	{TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", crypto.SHA256, record.TLS_CHACHA20_POLY1305_SHA256, 32},
	{TLS_AES_128_CCM_SHA256, "TLS_AES_128_CCM_SHA256", crypto.SHA256, record.TLS_AES_128_CCM_SHA256, 16},
	{TLS_AES_128_CCM_8_SHA256, "TLS_AES_128_CCM_8_SHA256", crypto.SHA256, record.TLS_AES_128_CCM_8_SHA256, 16},
}

func suite13ByID(id uint16) *suite13 {
	for _, s := range suites13 {
		if s.id == id {
			return s
		}
	}
	return nil
}

// suites13 returns the DTLS 1.3 suites of the Config in order of
// preference: those Config.CipherSuites names, or by default AES-GCM and
// ChaCha20-Poly1305, ChaCha20 first on a CPU without AES instructions (as
// for DTLS 1.2). The CCM suites are for constrained devices (RFC 7925)
// and are used only when named.
func (c *Config) suites13() []*suite13 {
	var out []*suite13
	for _, id := range c.CipherSuites {
		if s := suite13ByID(id); s != nil {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		return out
	}
	out = []*suite13{suites13[0], suites13[1], suites13[2]}
	if !hasAESHardware {
		out = []*suite13{suites13[2], suites13[0], suites13[1]}
	}
	return out
}

// newCipher13 makes the record protection of one direction of an epoch
// from its traffic secret (RFC 8446 §7.3, RFC 9147 §4.2.3).
func newCipher13(s *suite13, secret []byte) (*record.Cipher13, error) {
	key, iv, sn := tls13.TrafficKeys(s.hash, secret, s.keyLen, 12)
	return record.NewCipher13(s.rec, key, iv, sn)
}

// schedule13 is the key schedule of RFC 8446 §7.1, with DTLS 1.3's labels.
type schedule13 struct {
	h               crypto.Hash
	early, hs, main []byte
	cHS, sHS        []byte // handshake traffic secrets
	cAP, sAP        []byte // first application traffic secrets
	exporter        []byte
}

func (k *schedule13) zeros() []byte { return make([]byte, k.h.Size()) }

// start computes the early secret from a pre-shared key, or from zeros.
func (k *schedule13) start(h crypto.Hash, psk []byte) error {
	k.h = h
	if psk == nil {
		psk = k.zeros()
	}
	var err error
	k.early, err = hkdf.Extract(h.New, psk, k.zeros())
	return err
}

// binderKey returns the key of a PSK binder (RFC 8446 §4.2.11.2).
func (k *schedule13) binderKey(external bool) []byte {
	label := "res binder"
	if external {
		label = "ext binder"
	}
	return tls13.DeriveSecret(k.h, k.early, label, k.emptyHash())
}

func (k *schedule13) emptyHash() []byte {
	return k.h.New().Sum(nil)
}

// handshake derives the handshake traffic secrets from the (EC)DHE shared
// secret (nil for none) and the transcript hash through the ServerHello.
func (k *schedule13) handshake(shared, thash []byte) error {
	if shared == nil {
		shared = k.zeros()
	}
	derived := tls13.DeriveSecret(k.h, k.early, "derived", k.emptyHash())
	var err error
	if k.hs, err = hkdf.Extract(k.h.New, shared, derived); err != nil {
		return err
	}
	k.cHS = tls13.DeriveSecret(k.h, k.hs, "c hs traffic", thash)
	k.sHS = tls13.DeriveSecret(k.h, k.hs, "s hs traffic", thash)
	return nil
}

// application derives the application traffic and exporter secrets from
// the transcript hash through the server's Finished.
func (k *schedule13) application(thash []byte) error {
	derived := tls13.DeriveSecret(k.h, k.hs, "derived", k.emptyHash())
	var err error
	if k.main, err = hkdf.Extract(k.h.New, k.zeros(), derived); err != nil {
		return err
	}
	k.cAP = tls13.DeriveSecret(k.h, k.main, "c ap traffic", thash)
	k.sAP = tls13.DeriveSecret(k.h, k.main, "s ap traffic", thash)
	k.exporter = tls13.DeriveSecret(k.h, k.main, "exp master", thash)
	return nil
}

// finishedMAC returns the verify_data of a Finished, or of a PSK binder,
// under base over thash (RFC 8446 §4.4.4).
func finishedMAC(h crypto.Hash, base, thash []byte) []byte {
	key := tls13.ExpandLabel(h, base, "finished", nil, h.Size())
	m := hmac.New(h.New, key)
	m.Write(thash)
	return m.Sum(nil)
}

// errBadFinished13 is a Finished or binder whose MAC is wrong.
var errBadFinished13 = errors.New("dtls: the peer's Finished is wrong")

// canServe13 reports whether a DTLS 1.3 server could authenticate with c:
// a callback that supplies certificates, a PSK with a suite whose hash is
// SHA-256 (the hash of our external PSKs, RFC 8446 §4.2.11), or a
// certificate with its chain and a private key that signs with a scheme
// of RFC 8446 §4.2.3. The suites of DTLS 1.0 and 1.2 in
// Config.CipherSuites play no part: they do not name the key exchange in
// DTLS 1.3.
func (c *Config) canServe13() bool {
	if c.GetCertificate != nil || c.GetConfigForClient != nil {
		return true
	}
	if c.PSK != nil && slices.ContainsFunc(c.suites13(), func(s *suite13) bool { return s.hash == crypto.SHA256 }) {
		return true
	}
	for i := range c.Certificates {
		signer, ok := c.Certificates[i].PrivateKey.(crypto.Signer)
		if ok && len(c.Certificates[i].Certificate) > 0 {
			if _, ok := pickSignature13(signer.Public(), signatureAlgorithms13); ok {
				return true
			}
		}
	}
	return false
}
