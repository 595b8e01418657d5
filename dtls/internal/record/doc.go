// Package record implements the DTLS record layer of RFC 4347 (DTLS 1.0)
// and RFC 6347 (DTLS 1.2): the record header, the protection of record
// fragments by the cipher suites pathdtls supports, and the anti-replay
// window.
//
// The package works on one record at a time and knows nothing about
// connections: the caller keeps one Cipher and one Window per direction and
// epoch, chooses sequence numbers, and decides what to do with records that
// fail. Seal and Open do not allocate.
package record
