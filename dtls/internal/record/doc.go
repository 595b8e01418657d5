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
package record
