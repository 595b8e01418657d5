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
// Every IP-level size is an [MTU]: the bytes of an IP packet, including the
// IP and UDP headers. UDP payload sizes are plain ints. [Family.Payload] and
// [Family.MTU] are the one place that converts between the two, and
// [Search.MaxPayload] subtracts a further per-datagram overhead such as a
// DTLS record header and cipher expansion.
//
// # The state machine
//
// A [Search] follows RFC 8899 Section 5.2:
//
//	DISABLED        → BASE             Start: the peer can answer probes; the estimate is at
//	                                   least BASE_PLPMTU and traffic confirmed less
//	DISABLED        → SEARCHING        Start, after traffic confirmed BASE_PLPMTU or more
//	DISABLED        → ERROR            Start with the estimate below BASE_PLPMTU (see below)
//	BASE            → SEARCHING        the BASE_PLPMTU probe is acknowledged
//	BASE            → ERROR            BASE_PLPMTU lost MAX_PROBES times, or a PTB below it
//	ERROR           → SEARCHING        a probe is acknowledged, or traffic confirmed a size
//	                                   of at least MIN_PLPMTU already: at once, above it
//	ERROR           → DISABLED         MIN_PLPMTU lost MAX_PROBES times: connectivity lost
//	SEARCHING       → SEARCH_COMPLETE  nothing left to probe
//	SEARCHING       → BASE             black hole
//	SEARCH_COMPLETE → SEARCHING        PMTU_RAISE_TIMER, or a PTB between BASE_PLPMTU and PLPMTU
//	SEARCH_COMPLETE → BASE             black hole: MAX_PROBES confirmation probes or data lost
//	SEARCH_COMPLETE → ERROR            a PTB below BASE_PLPMTU
//	SEARCHING,      → ERROR            black hole at a PLPMTU below BASE_PLPMTU, which
//	SEARCH_COMPLETE                    BASE_PLPMTU cannot then pass either
//
// The search tries MAX_PLPMTU first, then the plateaus below it by bisection,
// then bisects to the byte. A size counts as too big once it is lost
// MAX_PROBES times or a PTB says so; a size lost fewer times is probed again
// only when nothing smaller is left to try, so an isolated loss costs one
// probe. A validated PTB never sets the size while probing (RFC 8899 Section
// 4.6.2): it makes the reported size the next probe.
//
// Before Start, in DISABLED, a Search is a classic RFC 1191 / RFC 8201
// estimate: it starts at Config.Initial (the interface MTU, or what the last
// association learned) and is lowered by validated ICMP, by the local stack
// refusing a size, and by the handshake backoff ladder ([Search.Backoff]:
// one rung of [NextSmaller] per unanswered flight, 1500, 1400, 1280, 1200,
// 1000, 576 for IPv4 and down to 1280 for IPv6). That is what a DTLS
// handshake uses, and what a connection whose peer cannot answer probes
// lives on.
//
// # Handshake sizes
//
// The largest datagram the handshake got an answer to (reported through
// SizeAcked before Start) is a confirmed size, and the Disabled estimate at
// Start is the most the handshake believes the path carries. From Start on,
// PMTU is never below the confirmed size (it may be above it: BASE_PLPMTU)
// until a PTB, a local refusal or a detected black hole lowers it, and never
// above the estimate until a larger size is acknowledged. A confirmed size
// above the estimate counts only up to the estimate: a PTB, a local refusal
// or the backoff ladder said since that the path carries less. Probing
// starts above the confirmed size, and the estimate, when below Config.Max
// (an Initial from a Cache, a PTB, a backoff), is probed before anything
// larger.
//
// A handshake that backed off below BASE_PLPMTU (or learnt from ICMP that
// the path is that narrow) has found that the path is not known to carry
// BASE_PLPMTU, which is what the ERROR state of RFC 8899 Section 5.2 stands
// for, so Start enters ERROR rather than BASE, which would use BASE_PLPMTU
// before confirming it. This is judged before the cap, which SetCap may
// raise later. In ERROR the PLPMTU is MIN_PLPMTU, and the estimate is
// probed, then MIN_PLPMTU, as a PTB hint would be. If the handshake
// confirmed a size of at least MIN_PLPMTU, that is what ERROR waits for, so
// the search goes on to SEARCHING at once with that size as PLPMTU, and
// probes upward from there. The same holds in BASE: when BASE_PLPMTU fails,
// a smaller size confirmed by traffic stays the PLPMTU instead of
// MIN_PLPMTU.
//
// # Caching
//
// [Search.Learned] says what a path learned that is worth keeping when the
// association ends: the PLPMTU of a completed search, or an estimate a
// validated PTB lowered before probing. A [Cache] keeps it per destination
// for PMTU_RAISE_TIMER, and the next association passes it as
// Config.Initial: it starts there, and may still probe up to Config.Max.
//
// # References
//
//   - RFC 8899, Packetization Layer Path MTU Discovery for Datagram Transports
//   - RFC 8201, Path MTU Discovery for IP version 6
//   - RFC 1191, Path MTU Discovery
//   - RFC 6347, Datagram Transport Layer Security Version 1.2, Section 4.1.1.1
//   - RFC 4347, Datagram Transport Layer Security, Section 4.1.1.1
package pmtu
