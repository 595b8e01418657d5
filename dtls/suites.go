package dtls

import (
	"crypto"
	"crypto/sha256"
	"slices"
	"strconv"

	"github.com/pathdtls/pathdtls/dtls/internal/prf"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// Protocol versions (RFC 6347 §4.1). DTLS version numbers count down: 1.2 is
// numerically smaller than 1.0.
const (
	VersionDTLS10 uint16 = 0xfeff
	VersionDTLS12 uint16 = 0xfefd
)

// Cipher suite IDs (IANA TLS Cipher Suites registry). RC4 suites are not
// supported and never will be (RFC 7465; RFC 6347 §4.1.2.2 forbids stream
// ciphers in DTLS).
const (
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 uint16 = 0xc02b
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256   uint16 = 0xc02f
	TLS_PSK_WITH_AES_128_GCM_SHA256         uint16 = 0x00a8
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA    uint16 = 0xc009
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA      uint16 = 0xc013
	TLS_PSK_WITH_AES_128_CBC_SHA            uint16 = 0x008c
)

// keyExchange names how a suite agrees on the premaster secret.
type keyExchange uint8

const (
	kxECDHEECDSA keyExchange = iota + 1 // RFC 8422 §2.1
	kxECDHERSA                          // RFC 8422 §2.1
	kxPSK                               // RFC 4279 §2
)

// cipherSuite is one row of the suite table.
type cipherSuite struct {
	id     uint16
	name   string
	kx     keyExchange
	aead   bool // AES-GCM (RFC 5288); otherwise AES-CBC with HMAC-SHA1
	keyLen int
	macLen int
	ivLen  int  // fixed IV bytes taken from the key block
	tls12  bool // only in DTLS 1.2
}

// cipherSuites is in our order of preference: AEAD first, ECDHE before PSK.
var cipherSuites = []*cipherSuite{
	{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", kxECDHEECDSA, true, 16, 0, 4, true},
	{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", kxECDHERSA, true, 16, 0, 4, true},
	{TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", kxECDHEECDSA, false, 16, 20, 0, false},
	{TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", kxECDHERSA, false, 16, 20, 0, false},
	{TLS_PSK_WITH_AES_128_GCM_SHA256, "TLS_PSK_WITH_AES_128_GCM_SHA256", kxPSK, true, 16, 0, 4, true},
	{TLS_PSK_WITH_AES_128_CBC_SHA, "TLS_PSK_WITH_AES_128_CBC_SHA", kxPSK, false, 16, 20, 0, false},
}

// scsvRenegotiation is TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
const scsvRenegotiation uint16 = 0x00ff

func suiteByID(id uint16) *cipherSuite {
	for _, s := range cipherSuites {
		if s.id == id {
			return s
		}
	}
	return nil
}

// CipherSuiteName returns the IANA name of a supported suite, or a hex form.
func CipherSuiteName(id uint16) string {
	if s := suiteByID(id); s != nil {
		return s.name
	}
	return "0x" + strconv.FormatUint(uint64(id), 16)
}

// CipherSuiteByName returns the ID of a supported suite from its IANA name.
func CipherSuiteByName(name string) (uint16, bool) {
	for _, s := range cipherSuites {
		if s.name == name {
			return s.id, true
		}
	}
	return 0, false
}

// CipherSuites returns the IDs of every supported suite, in the default order
// of preference.
func CipherSuites() []uint16 {
	ids := make([]uint16, len(cipherSuites))
	for i, s := range cipherSuites {
		ids[i] = s.id
	}
	return ids
}

// usableIn reports whether the suite may be negotiated at version v.
func (s *cipherSuite) usableIn(v uint16) bool { return !s.tls12 || v == VersionDTLS12 }

// prf returns the PRF of version v (RFC 4346 §5 for DTLS 1.0, RFC 5246 §5 with
// SHA-256 for DTLS 1.2: every suite here uses SHA-256 there).
func (s *cipherSuite) prf(v uint16) prf.Func {
	if v == VersionDTLS10 {
		return prf.PRF10
	}
	return prf.PRF12(crypto.SHA256)
}

// transcriptHash appends to dst the hash of the handshake messages for
// Finished and for the extended master secret: MD5||SHA-1 in DTLS 1.0,
// SHA-256 in DTLS 1.2.
func (s *cipherSuite) transcriptHash(dst []byte, v uint16, msgs []byte) []byte {
	if v == VersionDTLS10 {
		return prf.MD5SHA1(dst, msgs)
	}
	h := sha256.Sum256(msgs)
	return append(dst, h[:]...)
}

// keyBlockLen is the number of key block bytes the suite consumes (RFC 5246 §6.3).
// maxKeyBlockLen is the longest key block of the suites: two SHA-1 MAC
// keys, two AES-256 keys and two CBC IVs.
const maxKeyBlockLen = 2 * (20 + 32 + 16)

func (s *cipherSuite) keyBlockLen() int { return 2 * (s.macLen + s.keyLen + s.ivLen) }

// newCiphers splits a key block into the client-write and server-write record
// ciphers (RFC 5246 §6.3).
func (s *cipherSuite) newCiphers(kb []byte, cfg *Config) (client, server record.Cipher, err error) {
	cMAC, kb := kb[:s.macLen], kb[s.macLen:]
	sMAC, kb := kb[:s.macLen], kb[s.macLen:]
	cKey, kb := kb[:s.keyLen], kb[s.keyLen:]
	sKey, kb := kb[:s.keyLen], kb[s.keyLen:]
	cIV, sIV := kb[:s.ivLen], kb[s.ivLen:2*s.ivLen]
	if s.aead {
		if client, err = record.NewAESGCM(cKey, cIV); err != nil {
			return nil, nil, err
		}
		server, err = record.NewAESGCM(sKey, sIV)
		return client, server, err
	}
	if client, err = record.NewCBCSHA1(cKey, cMAC, cfg.rand()); err != nil {
		return nil, nil, err
	}
	server, err = record.NewCBCSHA1(sKey, sMAC, cfg.rand())
	return client, server, err
}

// mutualSuites returns the suites both lists allow, in the order of prefs.
func mutualSuites(prefs, offered []uint16) []*cipherSuite {
	var out []*cipherSuite
	for _, id := range prefs {
		if s := suiteByID(id); s != nil && slices.Contains(offered, id) {
			out = append(out, s)
		}
	}
	return out
}
