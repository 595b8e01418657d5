package sock

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestListenGroup opens a group of sockets sharing an address and sends
// from many peers: every socket is bound to the group's address, the
// datagrams of one peer always reach the same socket, and more than one
// socket receives some.
func TestListenGroup(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "udp6" {
				addr = "[::1]:0"
			}
			group, err := ListenGroup(context.Background(), nil, network, addr, 0, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				for _, c := range group {
					c.Close()
				}
			}()
			if len(group) != 4 {
				t.Fatalf("%d sockets, want 4", len(group))
			}
			local := group[0].LocalAddr()
			for i, c := range group {
				if c.LocalAddr() != local {
					t.Fatalf("socket %d bound to %v, socket 0 to %v", i, c.LocalAddr(), local)
				}
			}
			type arrival struct {
				from   netip.AddrPort
				socket int
			}
			got := make(chan arrival, 1000)
			for i, c := range group {
				go func() {
					buf := make([]byte, 100)
					for {
						_, from, err := c.ReadFrom(buf)
						if err != nil {
							return
						}
						got <- arrival{from, i}
					}
				}()
			}
			const peers, each = 32, 3
			for range peers {
				pc, err := net.ListenUDP(network, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Close()
				for range each {
					if _, err := pc.WriteToUDPAddrPort([]byte("x"), local); err != nil {
						t.Fatal(err)
					}
				}
			}
			socketOf := map[netip.AddrPort]int{}
			used := map[int]bool{}
			for range peers * each {
				select {
				case g := <-got:
					if s, ok := socketOf[g.from]; ok && s != g.socket {
						t.Fatalf("peer %v reached sockets %d and %d", g.from, s, g.socket)
					}
					socketOf[g.from] = g.socket
					used[g.socket] = true
				case <-time.After(5 * time.Second):
					t.Fatalf("datagrams from %d of %d peers arrived", len(socketOf), peers)
				}
			}
			if len(used) < 2 {
				t.Errorf("%d peers all reached one socket of 4", peers)
			}
		})
	}
}

// TestListenGroupOfOne opens one socket, without SO_REUSEPORT: another
// socket cannot bind its address.
func TestListenGroupOfOne(t *testing.T) {
	group, err := ListenGroup(context.Background(), nil, "udp4", "127.0.0.1:0", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer group[0].Close()
	if len(group) != 1 {
		t.Fatalf("%d sockets, want 1", len(group))
	}
	if c, err := ListenGroup(context.Background(), nil, "udp4", group[0].LocalAddr().String(), 0, 2); err == nil {
		for _, s := range c {
			s.Close()
		}
		t.Fatal("a group bound the address of a socket that does not share it")
	}
}

// TestListenGroupAddressInUse checks that a group does not share an
// address that a socket or another group holds, and that the address is
// free again once the group is closed.
func TestListenGroupAddressInUse(t *testing.T) {
	ctx := context.Background()
	first, err := ListenGroup(ctx, nil, "udp4", "127.0.0.1:0", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	addr := first[0].LocalAddr().String()
	if second, err := ListenGroup(ctx, nil, "udp4", addr, 0, 2); err == nil {
		for _, c := range second {
			c.Close()
		}
		t.Fatalf("a second group joined %s, held by a group", addr)
	}
	for _, c := range first {
		c.Close()
	}
	plain, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatalf("the address of a closed group: %v", err)
	}
	defer plain.Close()
	if g, err := ListenGroup(ctx, nil, "udp4", addr, 0, 2); err == nil {
		for _, c := range g {
			c.Close()
		}
		t.Fatalf("a group shared %s with an ordinary socket", addr)
	}
}

// TestListenGroupPortTakenMeanwhile takes the port between the claim and
// the group's bind: a port the system chose is chosen again, one the
// caller named fails.
func TestListenGroupPortTakenMeanwhile(t *testing.T) {
	var thief net.PacketConn
	afterClaim = func(bound string) {
		if thief == nil {
			var err error
			if thief, err = net.ListenPacket("udp4", bound); err != nil {
				t.Errorf("taking %s: %v", bound, err)
			}
		}
	}
	defer func() {
		afterClaim = nil
		if thief != nil {
			thief.Close()
		}
	}()
	group, err := ListenGroup(context.Background(), nil, "udp4", "127.0.0.1:0", 0, 2)
	if err != nil {
		t.Fatalf("with a port the system chooses: %v", err)
	}
	if got := group[0].LocalAddr().String(); got == thief.LocalAddr().String() {
		t.Errorf("the group shares %s with the socket that took it", got)
	}
	for _, c := range group {
		c.Close()
	}
	named := thief.LocalAddr().String()
	thief.Close()
	thief = nil
	if g, err := ListenGroup(context.Background(), nil, "udp4", named, 0, 2); err == nil {
		for _, c := range g {
			c.Close()
		}
		t.Errorf("with the port %s named and taken meanwhile, ListenGroup succeeded", named)
	}
}
