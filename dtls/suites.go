package dtls

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
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
	// AES-GCM (RFC 5288, RFC 5289 for ECDHE, RFC 5487 for PSK).
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 uint16 = 0xc02b
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 uint16 = 0xc02c
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256   uint16 = 0xc02f
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384   uint16 = 0xc030
	TLS_PSK_WITH_AES_128_GCM_SHA256         uint16 = 0x00a8
	TLS_PSK_WITH_AES_256_GCM_SHA384         uint16 = 0x00a9
	// ChaCha20-Poly1305 (RFC 7905).
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 uint16 = 0xcca9
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   uint16 = 0xcca8
	TLS_PSK_WITH_CHACHA20_POLY1305_SHA256         uint16 = 0xccab
	TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256   uint16 = 0xccac
	TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256         uint16 = 0xc037 // RFC 5489, DTLS 1.2 only
	// AES-CCM (RFC 6655 for PSK, RFC 7251 for ECDHE_ECDSA), the CCM_8
	// ones with an 8-byte tag, for constrained devices (RFC 7925).
	TLS_PSK_WITH_AES_128_CCM           uint16 = 0xc0a4
	TLS_PSK_WITH_AES_128_CCM_8         uint16 = 0xc0a8
	TLS_ECDHE_ECDSA_WITH_AES_128_CCM   uint16 = 0xc0ac
	TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 uint16 = 0xc0ae
	// AES-CBC with HMAC-SHA1 (RFC 4492, RFC 4279).
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA uint16 = 0xc009
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA   uint16 = 0xc013
	TLS_PSK_WITH_AES_128_CBC_SHA         uint16 = 0x008c
)

// keyExchange names how a suite agrees on the premaster secret.
type keyExchange uint8

const (
	kxECDHEECDSA keyExchange = iota + 1 // RFC 8422 §2.1
	kxECDHERSA                          // RFC 8422 §2.1
	kxPSK                               // RFC 4279 §2
	kxECDHEPSK                          // RFC 5489 §2
)

// bulkCipher names how a suite protects records.
type bulkCipher uint8

const (
	aesGCM       bulkCipher = iota + 1 // RFC 5288
	chacha                             // RFC 7905
	aesCCM                             // RFC 6655, 16-byte tag
	aesCCM8                            // RFC 6655, 8-byte tag
	aesCBCSHA                          // RFC 5246 §6.2.3.2, HMAC-SHA1
	aesCBCSHA256                       // the same with HMAC-SHA256, DTLS 1.2 only
)

// cipherSuite is one row of the suite table.
type cipherSuite struct {
	id     uint16
	name   string
	kx     keyExchange
	bulk   bulkCipher
	keyLen int
	hash   crypto.Hash // of the DTLS 1.2 PRF and transcript (RFC 5246 §5)
}

// The key block's parts (RFC 5246 §6.3): AEAD suites take no MAC key and
// a fixed IV (4 bytes of salt for AES-GCM, RFC 5288 §3; the whole 12-byte
// nonce for ChaCha20-Poly1305, RFC 7905 §2); CBC suites a MAC key and no
// IV, the IV being explicit per record (RFC 4346 §6.2.3.2).
func (s *cipherSuite) macLen() int {
	switch s.bulk {
	case aesCBCSHA:
		return 20
	case aesCBCSHA256:
		return 32
	}
	return 0
}

// cbc reports whether the suite protects records with AES-CBC and HMAC,
// whose records encrypt_then_mac may change (RFC 7366).
func (s *cipherSuite) cbc() bool { return s.bulk == aesCBCSHA || s.bulk == aesCBCSHA256 }

func (s *cipherSuite) ivLen() int {
	switch s.bulk {
	case aesGCM, aesCCM, aesCCM8:
		return 4
	case chacha:
		return 12
	}
	return 0
}

// cipherSuites is in our order of preference: AEAD first, ECDHE before
// PSK, and ECDHE_PSK after the PSK AEADs (its ECDH exchange costs a PSK
// handshake most of its speed; ask for it for forward secrecy); among AEADs AES-128-GCM,
// then ChaCha20-Poly1305, then AES-256-GCM, then AES-CCM and AES-CCM_8
// (slower, and the last with a shorter tag), unless the CPU has no AES
// instructions, when ChaCha20-Poly1305 comes first (see orderSuites).
var cipherSuites = []*cipherSuite{
	{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", kxECDHEECDSA, aesGCM, 16, crypto.SHA256},
	{TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", kxECDHEECDSA, chacha, 32, crypto.SHA256},
	{TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", kxECDHEECDSA, aesGCM, 32, crypto.SHA384},
	{TLS_ECDHE_ECDSA_WITH_AES_128_CCM, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", kxECDHEECDSA, aesCCM, 16, crypto.SHA256},
	{TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", kxECDHEECDSA, aesCCM8, 16, crypto.SHA256},
	{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", kxECDHERSA, aesGCM, 16, crypto.SHA256},
	{TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", kxECDHERSA, chacha, 32, crypto.SHA256},
	{TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", kxECDHERSA, aesGCM, 32, crypto.SHA384},
	{TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", kxECDHEECDSA, aesCBCSHA, 16, crypto.SHA256},
	{TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", kxECDHERSA, aesCBCSHA, 16, crypto.SHA256},
	{TLS_PSK_WITH_AES_128_GCM_SHA256, "TLS_PSK_WITH_AES_128_GCM_SHA256", kxPSK, aesGCM, 16, crypto.SHA256},
	{TLS_PSK_WITH_CHACHA20_POLY1305_SHA256, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", kxPSK, chacha, 32, crypto.SHA256},
	{TLS_PSK_WITH_AES_256_GCM_SHA384, "TLS_PSK_WITH_AES_256_GCM_SHA384", kxPSK, aesGCM, 32, crypto.SHA384},
	{TLS_PSK_WITH_AES_128_CCM, "TLS_PSK_WITH_AES_128_CCM", kxPSK, aesCCM, 16, crypto.SHA256},
	{TLS_PSK_WITH_AES_128_CCM_8, "TLS_PSK_WITH_AES_128_CCM_8", kxPSK, aesCCM8, 16, crypto.SHA256},
	{TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", kxECDHEPSK, chacha, 32, crypto.SHA256},
	{TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", kxECDHEPSK, aesCBCSHA256, 16, crypto.SHA256},
	{TLS_PSK_WITH_AES_128_CBC_SHA, "TLS_PSK_WITH_AES_128_CBC_SHA", kxPSK, aesCBCSHA, 16, crypto.SHA256},
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
	if s := suite13ByID(id); s != nil {
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
	for _, s := range suites13 {
		if s.name == name {
			return s.id, true
		}
	}
	return 0, false
}

// CipherSuites returns the IDs of every supported suite, in the default order
// of preference: AEAD first, ECDHE before PSK, and ChaCha20-Poly1305 before
// AES-GCM on a CPU without AES instructions.
func CipherSuites() []uint16 {
	ids := make([]uint16, len(preferredSuites))
	for i, s := range preferredSuites {
		ids[i] = s.id
	}
	return ids
}

// usableIn reports whether the suite may be negotiated at version v: the
// AEAD and SHA-256 suites only in DTLS 1.2.
func (s *cipherSuite) usableIn(v uint16) bool { return s.bulk == aesCBCSHA || v == VersionDTLS12 }

// prf returns the PRF of version v (RFC 4346 §5 for DTLS 1.0, RFC 5246 §5
// with the suite's hash for DTLS 1.2).
func (s *cipherSuite) prf(v uint16) prf.Func {
	if v == VersionDTLS10 {
		return prf.PRF10
	}
	return prf.PRF12(s.hash)
}

// maxTranscriptHash is the longest transcript hash: SHA-384's.
const maxTranscriptHash = sha512.Size384

// transcriptHash appends to dst the hash of the handshake messages for
// Finished and for the extended master secret: MD5||SHA-1 in DTLS 1.0,
// the suite's hash in DTLS 1.2.
func (s *cipherSuite) transcriptHash(dst []byte, v uint16, msgs []byte) []byte {
	if v == VersionDTLS10 {
		return prf.MD5SHA1(dst, msgs)
	}
	if s.hash == crypto.SHA384 {
		h := sha512.Sum384(msgs)
		return append(dst, h[:]...)
	}
	h := sha256.Sum256(msgs)
	return append(dst, h[:]...)
}

// keyBlockLen is the number of key block bytes the suite consumes (RFC 5246 §6.3).
// maxKeyBlockLen bounds the key block of every suite: two SHA-256 MAC
// keys, two 256-bit keys and two 16-byte IVs.
const maxKeyBlockLen = 2 * (32 + 32 + 16)

func (s *cipherSuite) keyBlockLen() int { return 2 * (s.macLen() + s.keyLen + s.ivLen()) }

// newCiphers splits a key block into the client-write and server-write record
// ciphers (RFC 5246 §6.3).
func (s *cipherSuite) newCiphers(kb []byte, cfg *Config, etm bool) (client, server record.Cipher, err error) {
	macLen, ivLen := s.macLen(), s.ivLen()
	cMAC, kb := kb[:macLen], kb[macLen:]
	sMAC, kb := kb[:macLen], kb[macLen:]
	cKey, kb := kb[:s.keyLen], kb[s.keyLen:]
	sKey, kb := kb[:s.keyLen], kb[s.keyLen:]
	cIV, sIV := kb[:ivLen], kb[ivLen:2*ivLen]
	newCipher := s.aeadCipher()
	if s.cbc() {
		hash := crypto.SHA1
		if s.bulk == aesCBCSHA256 {
			hash = crypto.SHA256
		}
		newCipher = func(key, mac []byte) (record.Cipher, error) {
			return record.NewCBC(key, mac, hash, etm, cfg.rand())
		}
		cIV, sIV = cMAC, sMAC // CBC ciphers take the MAC key where AEADs take the IV
	}
	if client, err = newCipher(cKey, cIV); err != nil {
		return nil, nil, err
	}
	server, err = newCipher(sKey, sIV)
	return client, server, err
}

// aeadCipher returns the constructor of the suite's AEAD record cipher,
// which takes the key and the fixed IV.
func (s *cipherSuite) aeadCipher() func(key, iv []byte) (record.Cipher, error) {
	switch s.bulk {
	case aesGCM:
		return record.NewAESGCM
	case chacha:
		return record.NewChaCha20Poly1305
	case aesCCM:
		return func(key, iv []byte) (record.Cipher, error) { return record.NewAESCCM(key, iv, 16) }
	case aesCCM8:
		return func(key, iv []byte) (record.Cipher, error) { return record.NewAESCCM(key, iv, 8) }
	}
	return nil
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
