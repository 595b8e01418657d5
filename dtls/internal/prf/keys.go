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

// MasterSecret derives the master secret from the pre-master secret and the
// hello randoms (RFC 5246, Section 8.1):
//
//	master_secret = PRF(pre_master_secret, "master secret",
//	                    ClientHello.random + ServerHello.random)[0..47]
func MasterSecret(prf Func, preMaster, clientRandom, serverRandom []byte) []byte {
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	master := make([]byte, MasterSecretLen)
	prf(master, preMaster, masterSecretLabel, seed)
	return master
}

// ExtendedMasterSecret derives the master secret bound to the handshake
// transcript, for connections that negotiated the extended_master_secret
// extension (RFC 7627, Section 4):
//
//	master_secret = PRF(pre_master_secret, "extended master secret",
//	                    session_hash)[0..47]
func ExtendedMasterSecret(prf Func, preMaster, sessionHash []byte) []byte {
	master := make([]byte, MasterSecretLen)
	prf(master, preMaster, extendedMasterSecretLabel, sessionHash)
	return master
}

// KeyBlock expands the master secret into n bytes of key material, from which
// the MAC keys, encryption keys and IVs are taken in that order (RFC 5246,
// Section 6.3). Note that the seed puts the server random first:
//
//	key_block = PRF(SecurityParameters.master_secret, "key expansion",
//	                SecurityParameters.server_random +
//	                SecurityParameters.client_random)
func KeyBlock(prf Func, master, clientRandom, serverRandom []byte, n int) []byte {
	n = max(n, 0)
	block := make([]byte, n, n+len(serverRandom)+len(clientRandom)) // the seed after it
	seed := append(append(block[n:], serverRandom...), clientRandom...)
	prf(block, master, keyExpansionLabel, seed)
	return block
}

// VerifyData computes the verify_data of a Finished message (RFC 5246,
// Section 7.4.9), where label is "client finished" or "server finished" and
// handshakeHash is the hash of the handshake messages: MD5SHA1 of them for
// DTLS 1.0, the PRF hash of them for DTLS 1.2.
//
//	verify_data = PRF(master_secret, finished_label,
//	                  Hash(handshake_messages))[0..verify_data_length-1]
func VerifyData(prf Func, master, label, handshakeHash []byte) []byte {
	verifyData := make([]byte, VerifyDataLen)
	prf(verifyData, master, label, handshakeHash)
	return verifyData
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
