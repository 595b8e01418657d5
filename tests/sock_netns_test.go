//go:build linux

package tests

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// sockEvents is a sock.Handler that keeps what it is told.
type sockEvents struct {
	mu     sync.Mutex
	events []icmp.Event
	limits int
}

func (h *sockEvents) ICMP(ev icmp.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *sockEvents) LocalLimit(netip.AddrPort, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.limits++
}

// TestSocketTooBig runs a sock.Socket across a real router whose link to
// the server has MTU 1280: the router's "fragmentation needed" or "Packet
// Too Big" comes back as the pending error of the client's next send or
// read, which hands it to the handler through the error queue and carries
// on.
func TestSocketTooBig(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1280}})
			server := openKernelPeer(t, tp.Server, network, tp.Server.West.Addr(network))
			var c sock.Conn
			tp.Client.Run(t, func() {
				var err error
				local := netip.AddrPortFrom(tp.Client.East.Addr(network), 0)
				if c, err = sock.Listen(context.Background(), nil, network, local.String(), platform.DFProbe); err != nil {
					t.Fatal(err)
				}
			})
			var h sockEvents
			s := sock.New(c, &h)
			defer s.Close()
			// Read in the namespace, the route MTU is kept: asked again
			// from outside, where the routes are others, it is the same.
			for _, where := range []string{"inside", "outside"} {
				var mtu int
				var err error
				if where == "inside" {
					tp.Client.Run(t, func() { mtu, err = c.RouteMTU(server.addr.Addr()) })
				} else {
					mtu, err = c.RouteMTU(server.addr.Addr())
				}
				if err != nil || mtu != 1500 {
					t.Errorf("RouteMTU %s the namespace = %d, %v; want 1500", where, mtu, err)
				}
			}

			var log sock.SentLog
			for i, size := range []int{bigSize, 100} {
				b := make([]byte, size)
				b[0] = byte(i + 1)
				log.Add(uint64(b[0]), size)
				if err := s.Send(b, server.addr); err != nil {
					t.Fatalf("Send(%d bytes) = %v", size, err)
				}
			}
			if n := server.next(t); n != 100 {
				t.Fatalf("the server received %d bytes; want 100", n)
			}
			// The server's reply comes after the ICMP error: reading it
			// drains the error, if the second send did not.
			if _, err := server.c.WriteToUDPAddrPort([]byte("reply"), c.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 100)
			if n, from, err := s.ReadFrom(b); err != nil || string(b[:n]) != "reply" || from != server.addr {
				t.Fatalf("ReadFrom = %q from %v, %v", b[:n], from, err)
			}

			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.events) != 1 || h.limits != 0 {
				t.Fatalf("handler got %v and %d local limits; want one ICMP event", h.events, h.limits)
			}
			v := icmp.Validator{MinQuote: 1}
			size, _ := log.Lookup(uint64(h.events[0].Quote[0]))
			match := func(q []byte) bool { _, ok := log.Lookup(uint64(q[0])); return ok }
			ev, err := v.Validate(h.events[0], c.LocalAddr(), server.addr, size, match)
			if err != nil || ev.MTU != 1280 || ev.Reporter != tp.Routers[0].West.Addr(network) {
				t.Fatalf("Validate(%v) = %v, %v", h.events[0], ev, err)
			}
			if st := s.Stats(); st.Sent != 2 || st.PendingRetried+st.PendingRead != 1 || st.ICMP != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestSocketRouteMTUNamespace checks that a socket made in a namespace
// reads route MTUs in that namespace, whichever thread asks: the client's
// route to the server has an MTU of its own, 1320, and the socket is
// first asked about it from outside the namespace, where that route does
// not exist.
func TestSocketRouteMTUNamespace(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1500}})
			server := tp.Server.West.Addr(network)
			route := netip.PrefixFrom(server, server.BitLen()).String()
			gateway := tp.Routers[0].West.Addr(network).String()
			if out, err := tp.Client.Command("ip", "route", "add", route, "via", gateway, "mtu", "1320").CombinedOutput(); err != nil {
				t.Fatalf("ip route add %s via %s mtu 1320: %v\n%s", route, gateway, err, out)
			}
			var c sock.Conn
			tp.Client.Run(t, func() {
				var err error
				local := netip.AddrPortFrom(tp.Client.East.Addr(network), 0)
				if c, err = sock.Listen(context.Background(), nil, network, local.String(), platform.DFProbe); err != nil {
					t.Fatal(err)
				}
			})
			defer c.Close()
			if mtu, err := c.RouteMTU(server); err != nil || mtu != 1320 {
				t.Errorf("RouteMTU(%s) from outside the namespace = %d, %v; want 1320", server, mtu, err)
			}
			// The router's address takes the link's route.
			if mtu, err := c.RouteMTU(netip.MustParseAddr(gateway)); err != nil || mtu != 1500 {
				t.Errorf("RouteMTU(%s) from outside the namespace = %d, %v; want 1500", gateway, mtu, err)
			}
		})
	}
}
