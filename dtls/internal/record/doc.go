// Package record implements the DTLS record layer of RFC 4347 (DTLS 1.0)
// and RFC 6347 (DTLS 1.2): the record header, the protection of record
// fragments by the cipher suites pathdtls supports, and the anti-replay
// window.
//
// The package works on one record at a time and knows nothing about
// connections: the caller keeps one Cipher and one Window per direction and
// epoch, chooses sequence numbers, and decides what to do with records that
// fail. Seal and Open do not allocate.
//
// Records that carry a connection ID (RFC 9146) have their own header,
// CIDHeader, split off with SplitCID given the length of the CID the
// receiver asked for, and are protected through CIDCipher, whose SealCID
// and OpenCID wrap the content in a DTLSInnerPlaintext with its real
// content type and padding; they do not allocate either.
//
// DTLS 1.3 records (RFC 9147 §4) have the unified header, parsed by
// ParseUnified, with the low bits of the epoch, a record number of 8 or
// 16 bits, an optional connection ID and length. Cipher13 protects them:
// the AEAD of the suite with the nonce of RFC 9147 §4 (the IV XOR the
// 64-bit sequence number), the inner plaintext of RFC 8446 §5.2 with its
// padding, and the record number encrypted with a mask from the start of
// the ciphertext (RFC 9147 §4.2.3: AES-ECB, or ChaCha20 with the counter
// and nonce read from those bytes). The ACK message of RFC 9147 §7 is
// here too: it lists record numbers.
package record
