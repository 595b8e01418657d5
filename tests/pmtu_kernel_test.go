//go:build linux

package tests

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// The kernel tests of issue 3 run platform and icmp against real Linux
// routers in network namespaces (see package netns): a client, a router
// and a server, with the router's link to the server at MTU 1280 where a
// test needs a bottleneck. They check that a datagram too large for the
// path is reported, once, by the error queue and by a raw ICMP socket, as a
// validated event carrying the router's MTU; that the kernel's estimates
// read back as expected; that a black hole reports nothing; and that forged
// ICMP, one message at a time or in a flood, is rejected and counted.

// bigSize is the UDP payload size of the datagram that does not fit a
// 1280-byte link.
const bigSize = 1400

// quoteLen is how much of a datagram's UDP payload a Linux router quotes:
// its ICMPv4 error is at most 576 bytes of IP packet (RFC 1812, Section
// 4.3.2.3) and its ICMPv6 error at most 1280 (RFC 4443, Section 2.4 (c)).
var quoteLen = map[string]int{
	"udp4": 576 - 20 - 8 - 20 - 8,
	"udp6": 1280 - 40 - 8 - 40 - 8,
}

// errAccepted stands, in the tables below, for an event the validator
// accepts.
var errAccepted = errors.New("accepted")

func TestKernelTooBig(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		for _, connected := range []bool{false, true} {
			name := network + "/unconnected"
			if connected {
				name = network + "/connected"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				testKernelTooBig(t, network, connected)
			})
		}
	}
}

// testKernelTooBig sends a datagram with DF across a 1280 bottleneck and
// checks what each source reports and what the kernel learned.
func testKernelTooBig(t *testing.T, network string, connected bool) {
	tp := netns.New(t, netns.Options{MTUs: []int{1500, 1280}})
	server := openKernelPeer(t, tp.Server, network, tp.Server.West.Addr(network))
	client := openKernelSocket(t, tp.Client, network, tp.Client.East.Addr(network), server.addr, connected, platform.DFProbe)
	raw := listenRawSource(t, tp.Client, network, client)
	reasm := reasmOKs(t, tp.Server, network)
	if connected {
		checkPathMTU(t, client, network, 1500)
	}

	big := client.send(t, bigSize)
	client.send(t, 100)
	if n := server.next(t); n != 100 {
		t.Fatalf("the server received %d bytes; want only the 100 sent after the %d with DF", n, bigSize)
	}
	client.waitCounts(t, 1, 0)
	waitUntil(t, "the raw socket's event", func() bool { a, r := raw.counts(); return a+r == 1 })
	// After a round trip any second ICMP message would be there too.
	roundTrip(t, server, client)
	client.waitCounts(t, 1, 0)
	if a, r := raw.counts(); a != 1 || r != 0 {
		t.Fatalf("raw socket: %d accepted and %d rejected events (%q); want 1 and 0", a, r, raw.rejected)
	}

	want := icmp.Event{
		Local:    client.local,
		Remote:   server.addr,
		MTU:      1280,
		Reporter: tp.Routers[0].West.Addr(network),
		Kind:     icmp.KindFragNeeded,
		Type:     3, // destination unreachable
		Code:     4, // fragmentation needed and DF set
		Quote:    big[:quoteLen[network]],
	}
	if network == "udp6" {
		want.Kind, want.Type, want.Code, want.IPv6 = icmp.KindPacketTooBig, 2, 0, true
	}
	checkEvent(t, "error queue", client.events[0], want)
	want.QuotedLen = bigSize
	checkEvent(t, "raw socket", raw.events[0], want)

	if connected {
		checkPathMTU(t, client, network, 1280)
	} else if _, err := platform.PathMTU(client.raw, network); err == nil {
		t.Error("PathMTU of an unconnected socket: no error")
	}
	if mtu := tp.Client.CachedMTU(t, server.addr.Addr()); mtu != 1280 {
		t.Errorf("the client's kernel caches the path MTU %d; want 1280", mtu)
	}
	checkRouteMTU(t, tp.Client, server.addr.Addr(), 1500)
	if got := reasmOKs(t, tp.Server, network); got != reasm {
		t.Errorf("the server reassembled %d datagrams; want none", got-reasm)
	}
}

// checkEvent compares the fields of ev that a test can predict with want.
func checkEvent(t *testing.T, source string, ev, want icmp.Event) {
	t.Helper()
	if ev.Local != want.Local || ev.Remote != want.Remote || ev.Reporter != want.Reporter {
		t.Errorf("%s: event from %s about %s to %s; want from %s about %s to %s",
			source, ev.Reporter, ev.Local, ev.Remote, want.Reporter, want.Local, want.Remote)
	}
	if ev.Kind != want.Kind || ev.Type != want.Type || ev.Code != want.Code || ev.IPv6 != want.IPv6 {
		t.Errorf("%s: event %v (type %d, code %d, IPv6 %v); want %v (type %d, code %d, IPv6 %v)",
			source, ev.Kind, ev.Type, ev.Code, ev.IPv6, want.Kind, want.Type, want.Code, want.IPv6)
	}
	if ev.MTU != want.MTU || ev.QuotedLen != want.QuotedLen {
		t.Errorf("%s: MTU %d, quoted length %d; want %d and %d", source, ev.MTU, ev.QuotedLen, want.MTU, want.QuotedLen)
	}
	if !bytes.Equal(ev.Quote, want.Quote) {
		t.Errorf("%s: quote of %d bytes; want the first %d bytes of the datagram", source, len(ev.Quote), len(want.Quote))
	}
}

// checkPathMTU checks the kernel's path MTU for a connected socket.
func checkPathMTU(t *testing.T, s *kernelSocket, network string, want int) {
	t.Helper()
	if mtu, err := platform.PathMTU(s.raw, network); err != nil || mtu != want {
		t.Errorf("PathMTU = %d, %v; want %d", mtu, err, want)
	}
}

// checkRouteMTU checks the MTU of ns's route to dst.
func checkRouteMTU(t *testing.T, ns *netns.Namespace, dst netip.Addr, want int) {
	t.Helper()
	ns.Run(t, func() {
		if mtu, err := platform.RouteMTU(dst); err != nil || mtu != want {
			t.Errorf("RouteMTU(%s) = %d, %v; want %d", dst, mtu, err, want)
		}
	})
}

// roundTrip sends a datagram from server to client and waits for it.
func roundTrip(t *testing.T, server *kernelPeer, client *kernelSocket) {
	t.Helper()
	if _, err := server.c.WriteToUDPAddrPort([]byte("round trip"), client.local); err != nil {
		t.Fatal(err)
	}
	if d := client.next(t); string(d) != "round trip" {
		t.Fatalf("the client received %q; want %q", d, "round trip")
	}
}

// reasmOKs returns the number of IPv4 or IPv6 datagrams, by network, that
// ns reassembled from fragments.
func reasmOKs(t *testing.T, ns *netns.Namespace, network string) int64 {
	t.Helper()
	if network == "udp6" {
		return ns.Stats(t)["Ip6ReasmOKs"]
	}
	return ns.Stats(t)["IpReasmOKs"]
}

func TestKernelDFOff(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1280}})
			server := openKernelPeer(t, tp.Server, network, tp.Server.West.Addr(network))
			client := openKernelSocket(t, tp.Client, network, tp.Client.East.Addr(network), server.addr, false, platform.DFDont)
			reasm := reasmOKs(t, tp.Server, network)
			if network == "udp6" {
				// IPv6 routers never fragment (RFC 8200, Section 5): the
				// first datagram is lost, and its Packet Too Big teaches the
				// client's kernel to fragment the next one.
				client.send(t, bigSize)
				client.send(t, 100)
				if n := server.next(t); n != 100 {
					t.Fatalf("the server received %d bytes; want only the 100 sent after the first %d", n, bigSize)
				}
				waitUntil(t, "the client's kernel to learn the path MTU", func() bool {
					return tp.Client.CachedMTU(t, server.addr.Addr()) == 1280
				})
			}
			client.send(t, bigSize)
			if n := server.next(t); n != bigSize {
				t.Fatalf("the server received %d bytes; want %d", n, bigSize)
			}
			if got := reasmOKs(t, tp.Server, network); got != reasm+1 {
				t.Errorf("the server reassembled %d datagrams; want 1", got-reasm)
			}
		})
	}
}

func TestKernelBlackHole(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1280}, BlackHole: true})
			server := openKernelPeer(t, tp.Server, network, tp.Server.West.Addr(network))
			client := openKernelSocket(t, tp.Client, network, tp.Client.East.Addr(network), server.addr, true, platform.DFProbe)
			raw := listenRawSource(t, tp.Client, network, client)

			client.send(t, bigSize)
			client.send(t, 100)
			if n := server.next(t); n != 100 {
				t.Fatalf("the server received %d bytes; want only the 100 sent after the %d with DF", n, bigSize)
			}
			waitUntil(t, "the router to drop its ICMP error", func() bool {
				return tp.Counters(t).BlackHoled >= 1
			})
			roundTrip(t, server, client)
			client.waitCounts(t, 0, 0)
			if n := raw.l.Stats().Read; n != 0 {
				t.Errorf("the raw socket read %d ICMP errors; want none", n)
			}
			checkPathMTU(t, client, network, 1500)
			if mtu := tp.Client.CachedMTU(t, server.addr.Addr()); mtu != 0 {
				t.Errorf("the client's kernel caches the path MTU %d; want none", mtu)
			}
		})
	}
}

// forgery is a forged ICMP error and what each source should make of it.
type forgery struct {
	name     string
	src, dst netip.AddrPort // the quoted datagram's
	mtu      int
	payload  []byte
	// queue is the validator's verdict on the error-queue event: a reason
	// for rejecting it, errAccepted, or nil if the kernel does not queue
	// the message, as when no socket has the quoted source.
	queue error
	// raw is the verdict on the raw socket's event, or nil if the
	// RawListener does not deliver it, as when it does not watch the
	// quoted source.
	raw error
}

func TestKernelForged(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			testKernelForged(t, network)
		})
	}
}

// testKernelForged sends forged ICMP errors about the client's socket from
// the router's namespace, one at a time, and checks each verdict.
func testKernelForged(t *testing.T, network string) {
	tp := netns.New(t, netns.Options{})
	server := openKernelPeer(t, tp.Server, network, tp.Server.West.Addr(network))
	// Unconnected, the socket takes errors about any destination, so the
	// kernel queues even those quoting another one, for validation.
	client := openKernelSocket(t, tp.Client, network, tp.Client.East.Addr(network), server.addr, false, platform.DFProbe)
	raw := listenRawSource(t, tp.Client, network, client)
	forger := openForger(t, tp.Routers[0], network)
	big := client.send(t, bigSize)
	if n := server.next(t); n != bigSize {
		t.Fatalf("the server received %d bytes; want %d", n, bigSize)
	}

	for _, f := range forgeries(network, client.local, server.addr, big) {
		t.Run(f.name, func(t *testing.T) {
			rawRead := raw.l.Stats().Read
			qa, qr := client.counts()
			ra, rr := raw.counts()
			forger.send(t, tooBig(t, f.src, f.dst, f.mtu, f.payload), client.local.Addr())
			raw.waitRead(t, rawRead+1)
			checkVerdict(t, "error queue", f, f.queue, qa, qr, client.waitCounts, client.lastVerdict)
			checkVerdict(t, "raw socket", f, f.raw, ra, rr, raw.waitCounts, raw.lastVerdict)
		})
	}
	if s := raw.l.Stats(); s.NotOurs != 1 {
		t.Errorf("the raw listener passed over %d messages as not ours; want 1", s.NotOurs)
	}
	t.Logf("error queue: %+v", client.validator.Stats())
	t.Logf("raw socket: %+v", raw.validator.Stats())
}

// forgeries returns the forged messages of TestKernelForged about the
// datagram big sent from local to remote.
func forgeries(network string, local, remote netip.AddrPort, big []byte) []forgery {
	size := len(big) + 28 // the datagram's IP size
	if network == "udp6" {
		size = len(big) + 48
	}
	otherPort := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr(), ap.Port()^0x5555) }
	neverSent := dtlsRecord(1, 1<<40, len(big))
	fs := []forgery{
		{"remote port", local, otherPort(remote), 1280, big, icmp.ErrNotOurs, icmp.ErrNotOurs},
		{"local port", otherPort(local), remote, 1280, big, nil, nil},
		{"never sent", local, remote, 1280, neverSent, icmp.ErrNotSent, icmp.ErrNotSent},
		{"MTU equal to size", local, remote, size, big, icmp.ErrMTUNotBelowSize, icmp.ErrMTUNotBelowSize},
		{"MTU above size", local, remote, 1500, big, icmp.ErrMTUNotBelowSize, icmp.ErrMTUNotBelowSize},
	}
	if network == "udp6" {
		fs = append(fs, forgery{"MTU below 1280", local, remote, 1000, big, icmp.ErrMTUBelowMinimum, icmp.ErrMTUBelowMinimum})
	} else {
		fs = append(fs, forgery{"MTU below 552", local, remote, 300, big, errAccepted, errAccepted})
	}
	// A forgery that gets everything right is accepted: the rejections
	// above are the validator's doing, not a failure to deliver.
	return append(fs, forgery{"well forged", local, remote, 1280, big, errAccepted, errAccepted})
}

// checkVerdict checks that a source that had accepted a and rejected r
// events gives the verdict want on f, and waits for it with wait.
func checkVerdict(t *testing.T, source string, f forgery, want error, a, r int, wait func(*testing.T, int, int), last func() (icmp.Event, error)) {
	t.Helper()
	switch want {
	case nil:
		wait(t, a, r)
		return
	case errAccepted:
		wait(t, a+1, r)
	default:
		wait(t, a, r+1)
	}
	ev, err := last()
	if want == errAccepted {
		if wantMTU := max(f.mtu, icmp.MinMTU4); ev.MTU != wantMTU {
			t.Errorf("%s: accepted MTU %d; want %d", source, ev.MTU, wantMTU)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: rejected with %v; want %v", source, err, want)
	}
}

func TestKernelFlood(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			testKernelFlood(t, network)
		})
	}
}

// floodSize is the least number of forged messages a flood sends.
const floodSize = 10000

// testKernelFlood floods the client's socket with forged ICMP errors that
// its kernel queues, while the server sends it datagrams, each sent again
// until it arrives.
func testKernelFlood(t *testing.T, network string) {
	tp := netns.New(t, netns.Options{})
	server := openKernelPeer(t, tp.Server, network, tp.Server.West.Addr(network))
	client := openKernelSocket(t, tp.Client, network, tp.Client.East.Addr(network), server.addr, false, platform.DFProbe)
	forger := openForger(t, tp.Routers[0], network)
	big := client.send(t, bigSize)
	if n := server.next(t); n != bigSize {
		t.Fatalf("the server received %d bytes; want %d", n, bigSize)
	}
	var msgs [][]byte
	for _, f := range forgeries(network, client.local, server.addr, big) {
		if f.queue != nil && f.queue != errAccepted {
			msgs = append(msgs, tooBig(t, f.src, f.dst, f.mtu, f.payload))
		}
	}

	// The flood goes on until the exchange of datagrams below is over.
	var stop atomic.Bool
	flooded := make(chan error, 1)
	go func() {
		dst := client.local.Addr().AsSlice()
		var err error
		for i := 0; i < floodSize || !stop.Load(); i++ {
			if _, err = forger.c.WriteTo(msgs[i%len(msgs)], &net.IPAddr{IP: dst}); err != nil {
				break
			}
		}
		flooded <- err
	}()
	waitUntil(t, "the flood to reach the client's socket", func() bool {
		if err := client.drain(); err != nil {
			t.Fatal(err)
		}
		return client.validator.Stats().Rejected() > 0
	})
	const datagrams = 100
	resent := 0
	for i := range datagrams {
		resent += exchange(t, server, client, uint32(i))
	}
	stop.Store(true)
	if err := <-flooded; err != nil {
		t.Fatalf("flood: %v", err)
	}

	if err := client.drain(); err != nil {
		t.Fatal(err)
	}
	s := client.validator.Stats()
	if s.Accepted != 0 || s.Rejected() == 0 {
		t.Errorf("validator: %+v; want no event accepted and some rejected", s)
	}
	client.mu.Lock()
	transient := client.transient
	client.mu.Unlock()
	t.Logf("%d datagrams received, %d sent again; %d transient read errors; validator: %+v",
		datagrams, resent, transient, s)
}

// exchange sends the datagram numbered i from server to client until the
// client reads it, and returns the number of times it was sent again.
func exchange(t *testing.T, server *kernelPeer, client *kernelSocket, i uint32) (resent int) {
	t.Helper()
	msg := binary.BigEndian.AppendUint32([]byte("datagram "), i)
	for deadline := time.Now().Add(kernelWait); ; resent++ {
		if time.Now().After(deadline) {
			t.Fatalf("datagram %d did not arrive in %v", i, kernelWait)
		}
		if _, err := server.c.WriteToUDPAddrPort(msg, client.local); err != nil {
			t.Fatal(err)
		}
		if waitDatagram(client, msg, 100*time.Millisecond) {
			return resent
		}
	}
}

// waitDatagram waits for up to d for client to read msg, skipping earlier
// datagrams that arrive late.
func waitDatagram(client *kernelSocket, msg []byte, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case got := <-client.datagrams:
			if bytes.Equal(got, msg) {
				return true
			}
		case <-timer.C:
			return false
		}
	}
}
