// Package ccm implements the Counter with CBC-MAC (CCM) mode of RFC 3610
// and NIST SP 800-38C as a [cipher.AEAD], for the AES-CCM cipher suites of
// DTLS 1.2: TLS_PSK_WITH_AES_128_CCM and its kin (RFC 6655) and
// TLS_ECDHE_ECDSA_WITH_AES_128_CCM(_8) (RFC 7251). Neither the standard
// library nor golang.org/x/crypto provides CCM.
//
// Those suites use the 12-byte nonce of RFC 5288, a 4-byte salt from the key
// block and an 8-byte explicit nonce (so L = 3), and AEAD_AES_128_CCM or
// AEAD_AES_256_CCM (RFC 5116) with a 16-byte tag or, in the _8 suites,
// AEAD_AES_128_CCM_8 or AEAD_AES_256_CCM_8 (RFC 6655) with an 8-byte one.
// [New] accepts every choice RFC 3610, Section 2 allows: tags of 4 to 16
// bytes in steps of 2, and nonces of 7 to 13 bytes.
//
// # Construction
//
// The authentication field T is the CBC-MAC of the blocks B_0, the encoded
// additional data and the message (RFC 3610, Section 2.2); the message is
// encrypted in counter mode with the key stream E(K, A_1), E(K, A_2), … and T
// with E(K, A_0) (Section 2.3). Both run over the block cipher's Encrypt, one
// 16-byte block a call, a batch of blocks at a time: first the batch's key
// stream, whose encryptions the processor overlaps, then its CBC-MAC, a chain
// of encryptions each waiting on the one before. That chain, two AES passes
// where GCM has one, and a call per block bound the speed: on an AES-NI
// machine Seal and Open together take several times as long as
// crypto/cipher's GCM on a 1000-byte record, and about twice as long on a
// 100-byte one (see BenchmarkCCM and BenchmarkBaselineGCM).
//
// Which blocks are encrypted, and in what order, depends only on the lengths
// of the nonce, the additional data and the message, never on their contents
// or the key, and the tag is checked with [crypto/subtle.ConstantTimeCompare];
// the block cipher must be constant-time itself, as crypto/aes is with AES
// hardware.
//
// # Allocation and concurrency
//
// Seal and Open do not allocate. Their scratch cannot live on the stack, as
// it goes to the block cipher through an interface, so each AEAD keeps one
// spare scratch state, which a call takes and gives back. A call that finds
// it taken, because another goroutine is using the same AEAD, allocates its
// own: like crypto/cipher's AEADs, those of this package are safe for
// concurrent use, and they allocate nothing when used from one goroutine at a
// time, as the record layer uses them.
package ccm
