// Package pmtu decides how large a datagram may be on each path: the
// Datagram Packetization Layer Path MTU Discovery state machine of RFC 8899
// (DPLPMTUD), the handshake size-backoff ladder of RFC 6347 Section 4.1.1.1,
// and a bounded cache of per-destination state.
//
// The package is pure logic. It never reads a clock, starts a goroutine or
// touches a socket: every method takes the current time, and the caller sends
// the probes it is asked for and reports what became of them.
//
// # Sizes
//
// Every size is an IP-level MTU: the bytes of an IP packet, including the IP
// and UDP headers. [Family.HeaderLen] converts to a UDP payload size, and
// [Search.MaxPayload] subtracts a further per-datagram overhead such as a
// DTLS record header and cipher expansion.
//
// # The state machine
//
// A [Search] follows RFC 8899 Section 5.2:
//
//	DISABLED        → BASE             Start: the peer can answer probes
//	BASE            → SEARCHING        the BASE_PLPMTU probe is acknowledged
//	BASE            → ERROR            BASE_PLPMTU lost MAX_PROBES times, or a PTB below it
//	ERROR           → SEARCHING        a probe is acknowledged
//	ERROR           → DISABLED         MIN_PLPMTU lost MAX_PROBES times: connectivity lost
//	SEARCHING       → SEARCH_COMPLETE  nothing left to probe
//	SEARCHING       → BASE             black hole
//	SEARCH_COMPLETE → SEARCHING        PMTU_RAISE_TIMER, or a PTB between BASE_PLPMTU and PLPMTU
//	SEARCH_COMPLETE → BASE             black hole: MAX_PROBES confirmation probes or data lost
//	SEARCH_COMPLETE → ERROR            a PTB below BASE_PLPMTU
//
// The search tries MAX_PLPMTU first, then the plateaus below it by bisection,
// then bisects to the byte. A size counts as too big once it is lost
// MAX_PROBES times or a PTB says so; a size lost fewer times is probed again
// only when nothing smaller is left to try, so an isolated loss costs one
// probe. A validated PTB never sets the size while probing (RFC 8899 Section
// 4.6.2): it makes the reported size the next probe.
//
// Before Start, in DISABLED, a Search is a classic RFC 1191 / RFC 8201
// estimate: it starts at the interface MTU and is lowered by validated ICMP,
// by the local stack refusing a size, and by the handshake backoff ladder.
// That is what a DTLS handshake uses, and what a connection whose peer cannot
// answer probes lives on.
//
// # References
//
//   - RFC 8899, Packetization Layer Path MTU Discovery for Datagram Transports
//   - RFC 8201, Path MTU Discovery for IP version 6
//   - RFC 1191, Path MTU Discovery
//   - RFC 6347, Datagram Transport Layer Security Version 1.2, Section 4.1.1.1
//   - RFC 4347, Datagram Transport Layer Security, Section 4.1.1.1
package pmtu
