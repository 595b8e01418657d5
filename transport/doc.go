// Package transport runs DTLS over UDP sockets, with the path MTU managed
// for every association: [Dial] opens a connected socket and runs a client
// handshake; [Listen] opens a socket (on Linux, a few that share the
// address: [ListenConfig].Readers), reads each with a goroutine of its own
// and runs every association of the peers that write to it. [Client] and
// [NewListener] do the same over a socket the application made.
//
// # The engine runs on its own
//
// Each association's DTLS engine ([dtls.Conn]) advances on events, never on
// the application's Read: a datagram from the peer, its timers, and what
// the socket hears from ICMP. A listener's reader goroutine, or a client's
// own, hands each datagram to the engine of its association as it arrives;
// the engine authenticates it, answers retransmitted flights, heartbeat
// requests and probes, completes the handshake, and puts decrypted
// application data in a bounded queue, from which Read takes it. The
// retransmission timer, the probe timer and the idle timer are
// time.AfterFunc callbacks. So a server that only writes still answers its
// clients' probes and their lost final flights, and a client that only
// reads still probes its path.
//
// # Concurrency
//
// A Listener costs one goroutine per socket however many associations it
// serves: the socket's reader, which runs the receive side of the
// socket's associations in turn, so a slow association's Read or Write
// never stalls the others; the sockets of a Listener share nothing but its
// accept queue, probe pacer and path cache. A client
// association costs one goroutine, its reader. Timers run their callbacks
// on goroutines of the runtime's, which end with the callback. Close stops
// everything the value started and waits for its reader.
//
// Inside an association, the engine's receive lock guards its handshake and
// record state and is held while a datagram or a timer is processed; its
// send lock guards sealing and sending, which Write takes alone. The path's
// lock is a leaf: the engine calls into the path with its locks held, and
// the path never calls the engine with its own held (a smaller path is
// announced to the engine on a timer's goroutine). Callbacks from the
// engine to the transport (the end of the handshake, heartbeat responses)
// run with no lock held.
//
// # The socket
//
// The transport runs over a small interface of the module's own
// (internal/sock): datagram I/O on one UDP socket, its error queue (or a
// raw ICMP socket), and route MTUs. Every send goes through one
// implementation of the rules a shared socket needs: an ICMP error about
// any earlier datagram comes back as the pending error of the next send or
// read, which then did nothing; the error queue is drained, each entry
// routed to the association it is about, and the send tried again, so that
// a departed client's port unreachable never costs the next client a
// retransmission timer. A datagram that could not be sent is never counted
// as sent. The same package's in-memory network (internal/memnet), with
// Linux's pending errors, error queue and ICMP, runs the whole transport in
// testing/synctest virtual time for the package's tests.
//
// # Bring your own socket
//
// [Client] and [NewListener] take a net.PacketConn the application made.
// A *net.UDPConn gets the Don't Fragment bit and the error queue as Dial's
// and Listen's sockets do; any other net.PacketConn (a tunnel, a test
// harness) carries datagrams of a fixed size, [dtls.Config.DatagramSize] or
// [dtls.DefaultDatagramSize], and learns nothing about the path.
//
// # Listening
//
// A [Listener] keeps no state for a peer until the peer has proved that it
// can receive at its address: a datagram from an unknown address goes to
// a [dtls.HelloGate], which answers a ClientHello without a valid cookie
// with a HelloVerifyRequest and remembers nothing (RFC 6347 §4.2.1); a
// ClientHello cut into fragments is reassembled first in a table of a fixed
// size. Only a ClientHello with a valid cookie creates an association, and
// [Listener.Accept] returns it once its handshake has completed. At most
// [ListenConfig.MaxHalfOpen] handshakes run at once, the oldest evicted
// beyond that; an association whose peer sends nothing for
// [ListenConfig.IdleTimeout] is closed. A new ClientHello with a valid
// cookie from the address of a live association replaces it (RFC 6347
// §4.2.8).
//
// A Listener whose Config asks for connection IDs (dtls.ConnectionIDConfig
// with a Length of 1 or more; RFC 9146) finds an association by the ID in
// its peer's records, from whatever address they come: a client whose NAT
// binding changed keeps its association. The association moves to the new
// address only once a record from there authenticates and is newer than
// every record before it (RFC 9146 §6), so that a forged or replayed
// datagram moves nothing; its path-MTU search then starts again, the new
// path being another. [ListenerStats].Moved counts the moves.
//
// Listening on an IPv6 wildcard address such as "[::]:4433" (or on ":4433")
// with network "udp" serves IPv4 and IPv6 peers on one dual-stack socket.
// IPv4 peers are always reported by their IPv4 address, never as
// IPv4-mapped IPv6 addresses.
//
// # Datagram size
//
// Sockets have the Don't Fragment bit set in probe mode and, on Linux, the
// error queue on; elsewhere, when the process may open one, a raw ICMP
// socket hears ICMP instead. Each association keeps its own path-MTU
// estimate in a [pmtu.Search], which owns every decision about sizes: the
// MTU of the route to the peer at first (RFC 4347 §4.1.1.1), or what the
// last association to the same address learned, capped by [Dialer.MaxMTU]
// or [ListenConfig.MaxMTU] ([DefaultMaxMTU] if zero). Sizes count the IP and
// UDP headers, as a link MTU does: datagrams to an IPv4 peer carry at most
// MTU−28 bytes of UDP payload, and to an IPv6 peer MTU−48.
//
// During the handshake the estimate goes down on three signals. An ICMP
// "fragmentation needed" (RFC 1191) or "Packet Too Big" (RFC 8201) must
// quote the epoch and sequence number of the first record of a datagram
// the association sent recently, and report an MTU below that datagram's
// size. A send the local stack refuses as too long lowers it to the stack's
// limit. Either re-sends the flight in progress at once, fragmented to the
// new size. And a flight that goes unanswered takes one rung of the backoff
// ladder below its largest datagram (1500, 1400, 1280, 1200, 1000, 576 for
// IPv4; down to 1280 for IPv6), since through a black hole no other signal
// comes; the retransmission timer does not double while the size steps
// down.
//
// After the handshake, the largest datagram the peer answered is a
// confirmed size, and if the peer accepts heartbeats (RFC 6520) the
// association searches upward from there with padded HeartbeatRequests
// (RFC 8899 §6.2.1), one at a time, the first after a random delay on a
// listener, whose associations share a rate limit. A probe that goes
// unanswered counts as lost only if the peer has sent an authenticated
// record since: a silent peer says nothing about sizes.
//
// [Dialer.MTU], [ListenConfig.MTU], a non-zero [dtls.Config.DatagramSize]
// and [Conn.SetFixedMTU] fix the size instead, as does a socket that is not
// a *net.UDPConn.
package transport
