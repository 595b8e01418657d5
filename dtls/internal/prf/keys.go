package prf

import (
	"crypto/md5"
	"crypto/sha1"
)

// MasterSecretLen is the length of the master secret (RFC 5246, Section 8.1).
const MasterSecretLen = 48

// VerifyDataLen is the length of the verify_data of a Finished message for
// every cipher suite this package serves (RFC 5246, Section 7.4.9; RFC 4346,
// Section 7.4.9).
const VerifyDataLen = 12

// The labels of RFC 5246, Sections 6.3, 8.1 and RFC 7627, Section 4.
var (
	masterSecretLabel         = []byte("master secret")
	extendedMasterSecretLabel = []byte("extended master secret")
	keyExpansionLabel         = []byte("key expansion")
)

// MasterSecret appends the master secret, derived from the pre-master
// secret and the hello randoms, to dst (RFC 5246, Section 8.1):
//
//	master_secret = PRF(pre_master_secret, "master secret",
//	                    ClientHello.random + ServerHello.random)[0..47]
//
// The seed is built in dst's spare capacity after the secret, if it has
// room for it, and in a new array otherwise.
func MasterSecret(dst []byte, prf Func, preMaster, clientRandom, serverRandom []byte) []byte {
	dst, master, seed := grow(dst, MasterSecretLen, len(clientRandom)+len(serverRandom))
	seed = append(append(seed, clientRandom...), serverRandom...)
	prf(master, preMaster, masterSecretLabel, seed)
	return dst
}

// ExtendedMasterSecret appends to dst the master secret bound to the
// handshake transcript, for connections that negotiated the
// extended_master_secret extension (RFC 7627, Section 4):
//
//	master_secret = PRF(pre_master_secret, "extended master secret",
//	                    session_hash)[0..47]
func ExtendedMasterSecret(dst []byte, prf Func, preMaster, sessionHash []byte) []byte {
	dst, master, _ := grow(dst, MasterSecretLen, 0)
	prf(master, preMaster, extendedMasterSecretLabel, sessionHash)
	return dst
}

// KeyBlock appends to dst n bytes of key material expanded from the master
// secret, from which the MAC keys, encryption keys and IVs are taken in
// that order (RFC 5246, Section 6.3). Note that the seed puts the server
// random first:
//
//	key_block = PRF(SecurityParameters.master_secret, "key expansion",
//	                SecurityParameters.server_random +
//	                SecurityParameters.client_random)
//
// The seed is built in dst's spare capacity after the block, if it has
// room for it, and in a new array otherwise.
func KeyBlock(dst []byte, prf Func, master, clientRandom, serverRandom []byte, n int) []byte {
	dst, block, seed := grow(dst, max(n, 0), len(serverRandom)+len(clientRandom))
	seed = append(append(seed, serverRandom...), clientRandom...)
	prf(block, master, keyExpansionLabel, seed)
	return dst
}

// VerifyData appends to dst the verify_data of a Finished message
// (RFC 5246, Section 7.4.9), where label is "client finished" or "server
// finished" and handshakeHash is the hash of the handshake messages:
// MD5SHA1 of them for DTLS 1.0, the PRF hash of them for DTLS 1.2.
//
//	verify_data = PRF(master_secret, finished_label,
//	                  Hash(handshake_messages))[0..verify_data_length-1]
func VerifyData(dst []byte, prf Func, master, label, handshakeHash []byte) []byte {
	dst, verifyData, _ := grow(dst, VerifyDataLen, 0)
	prf(verifyData, master, label, handshakeHash)
	return dst
}

// grow extends dst by n bytes, returned as out, and returns as well an
// empty slice with room for spare bytes after them: in dst's array if it
// has room for both, in one new array otherwise.
func grow(dst []byte, n, spare int) (grown, out, scratch []byte) {
	l := len(dst)
	if cap(dst)-l < n+spare {
		dst = append(make([]byte, 0, l+n+spare), dst...)
	}
	grown = dst[:l+n]
	return grown, grown[l:], grown[l+n : l+n]
}

// MD5SHA1 appends MD5(data) followed by SHA1(data), 36 bytes, to dst: the
// Hash(handshake_messages) from which DTLS 1.0 computes the Finished
// verify_data (RFC 4346, Section 7.4.9).
func MD5SHA1(dst, data []byte) []byte {
	m := md5.Sum(data)
	s := sha1.Sum(data)
	dst = append(dst, m[:]...)
	return append(dst, s[:]...)
}
