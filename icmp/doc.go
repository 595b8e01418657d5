// Package icmp turns ICMP feedback about the UDP datagrams a socket sent
// into validated events: an IPv4 "fragmentation needed" (RFC 792, RFC 1191)
// or an IPv6 "Packet Too Big" (RFC 4443 section 3.2, RFC 8201) carrying the
// MTU of the next hop, and the unreachable and time-exceeded messages a
// path probe needs.
//
// # Sources
//
// Events come from two sources. On Linux, the error queue of the socket
// itself, read with [platform.ReadErrQueue] and converted by [FromQueued],
// needs no privilege: the kernel has already matched the ICMP message to the
// socket. Raw ICMP sockets, opened by [ListenRaw] through
// golang.org/x/net/icmp, need privilege but work on other operating systems
// too; [ParseICMP] reads the quoted IPv4 or IPv6 and UDP headers to find the
// socket a message is about.
//
// # Validation
//
// An ICMP message is a hint, not a command (RFC 8899 section 4.6.2): anyone
// on the path, and anyone who can guess the addresses, can forge one. A
// [Validator] checks each event before anything acts on it: the quoted
// addresses and ports are the socket's; the reported MTU is below the size
// of the datagram it is about; an IPv6 MTU below 1280 is ignored (RFC 8200
// section 5); an IPv4 MTU below 552 is raised to 552, as Linux does; and,
// when the quote is long enough, a [Matcher] supplied by the caller confirms
// that the quoted bytes belong to a datagram sent recently (for DTLS, the
// epoch and sequence number of a record). Events that fail are counted, not
// acted on.
//
// # Addresses
//
// Every address in an [Event] is unmapped: an IPv4 address is never given
// as an IPv4-mapped IPv6 address, whichever kind of socket the event came
// from.
package icmp
