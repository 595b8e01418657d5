// Package fragment splits outgoing handshake flights into records and datagrams
// and reassembles incoming handshake messages from their fragments.
//
// DTLS carries each handshake message in one or more fragments, each with a
// 12-byte header giving the message's sequence number, total length, and the
// fragment's offset and length (RFC 6347, Section 4.2.3; RFC 4347, Section
// 4.2.3). A Reassembler buffers fragments, which may arrive duplicated,
// overlapping, reordered, or cut differently in a retransmission, until a message
// is complete, and releases messages in message_seq order (RFC 6347, Section
// 4.2.2). Pack does the sender's half: it cuts a flight to the current datagram
// size, packing several fragments into a record and several records into a
// datagram where they fit (RFC 6347, Sections 4.1.1 and 4.2.3).
package fragment
