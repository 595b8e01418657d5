package memnet_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/internal/memnet"
)

func TestDelivery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to netip.Addr
		bind     netip.Addr // the receiver's bound address
	}{
		{"ipv4", addrA4, addrB4, addrB4},
		{"ipv6", addrA6, addrB6, addrB6},
		{"ipv4 to 0.0.0.0", addrA4, addrB4, netip.IPv4Unspecified()},
		{"ipv4 to dual stack", addrA4, addrB4, netip.IPv6Unspecified()},
		{"ipv6 to dual stack", addrA6, addrB6, netip.IPv6Unspecified()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
				srv := listen(t, p.b, tc.bind)
				cli := listen(t, p.a, netip.IPv6Unspecified())
				to := netip.AddrPortFrom(tc.to, srv.LocalAddr().Port())
				mustSend(t, cli, []byte("hello"), to)
				b, from := read(t, srv)
				want := netip.AddrPortFrom(tc.from, cli.LocalAddr().Port())
				if string(b) != "hello" || from != want {
					t.Fatalf("got %q from %v; want hello from %v", b, from, want)
				}
				// The reply goes back to the unmapped address.
				mustSend(t, srv, []byte("back"), from)
				if b, from := read(t, cli); string(b) != "back" || from != to {
					t.Fatalf("reply: got %q from %v; want back from %v", b, from, to)
				}
				if s := p.n.PathStats(tc.from, tc.to); s.Sent != 1 || s.Delivered != 1 {
					t.Errorf("path stats %+v", s)
				}
			})
		})
	}
}

func TestMappedAddressesAreUnmapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		srv := listen(t, p.b, netip.IPv6Unspecified())
		cli := listen(t, p.a, addrA4)
		mapped := netip.AddrPortFrom(netip.AddrFrom16(addrB4.As16()), srv.LocalAddr().Port())
		mustSend(t, cli, []byte("x"), mapped)
		if _, from := read(t, srv); !from.Addr().Is4() {
			t.Fatalf("from %v: want an IPv4 address", from)
		}
	})
}

func TestConnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		srv := listen(t, p.b, addrB4)
		other := listen(t, p.b, addrB4)
		cli, err := p.a.Dial(netip.AddrPort{}, srv.LocalAddr())
		if err != nil {
			t.Fatal(err)
		}
		if cli.LocalAddr().Addr() != addrA4 || cli.RemoteAddr() != srv.LocalAddr() {
			t.Fatalf("dialed %v -> %v", cli.LocalAddr(), cli.RemoteAddr())
		}
		// The zero AddrPort is the peer; another address is refused.
		mustSend(t, cli, []byte("one"), netip.AddrPort{})
		if err := cli.WriteTo([]byte("x"), other.LocalAddr()); !errors.Is(err, net.ErrWriteToConnected) {
			t.Fatalf("WriteTo another address: %v", err)
		}
		if b, _ := read(t, srv); string(b) != "one" {
			t.Fatalf("got %q", b)
		}
		// Only the peer's datagrams arrive.
		mustSend(t, other, []byte("stranger"), cli.LocalAddr())
		mustSend(t, srv, []byte("peer"), cli.LocalAddr())
		if b, _ := read(t, cli); string(b) != "peer" {
			t.Fatalf("got %q; want the peer's datagram", b)
		}
		if s := other.Stats(); s.Sent != 1 {
			t.Fatalf("stranger's stats %+v", s)
		}
	})
}

func TestBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		c := listen(t, p.a, addrA4)
		port := c.LocalAddr().Port()
		if port < 32768 || port > 60999 {
			t.Errorf("ephemeral port %d", port)
		}
		for _, a := range []netip.Addr{addrA4, netip.IPv4Unspecified(), netip.IPv6Unspecified()} {
			if _, err := p.a.Listen(netip.AddrPortFrom(a, port)); !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("Listen(%v:%d) with %v bound: %v; want EADDRINUSE", a, port, c.LocalAddr(), err)
			}
		}
		if _, err := p.a.Listen(netip.AddrPortFrom(addrA6, port)); err != nil {
			t.Errorf("Listen on the IPv6 address and the same port: %v", err)
		}
		if _, err := p.a.Listen(netip.AddrPortFrom(addrB4, 0)); !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Errorf("Listen on another host's address: %v", err)
		}
		c.Close()
		if _, err := p.a.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), port)); err != nil {
			t.Errorf("Listen after Close: %v", err)
		}
		if _, err := p.n.AddHost(memnet.HostConfig{Addrs: []netip.Addr{addrA4}}); err == nil {
			t.Error("AddHost with a taken address succeeded")
		}
	})
}

func TestTruncatedRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{})
		srv := listen(t, p.b, addrB4)
		cli := listen(t, p.a, addrA4)
		mustSend(t, cli, []byte("truncated"), srv.LocalAddr())
		b := make([]byte, 5)
		n, _, err := srv.ReadFrom(b)
		if err != nil || !bytes.Equal(b[:n], []byte("trunc")) {
			t.Fatalf("ReadFrom = %q, %v", b[:n], err)
		}
	})
}

func TestCapabilities(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{}, memnet.HostConfig{NoErrorQueue: true})
		dual := listen(t, p.a, netip.IPv6Unspecified()).Capabilities()
		if !dual.IPv6 || !dual.DualStack || !dual.DF || !dual.RecvErr || !dual.DualStackDF {
			t.Errorf("dual-stack socket: %+v", dual)
		}
		v4 := listen(t, p.a, addrA4).Capabilities()
		if v4.IPv6 || v4.DualStack || !v4.DF || !v4.RecvErr {
			t.Errorf("IPv4 socket: %+v", v4)
		}
		if c := listen(t, p.b, addrB6).Capabilities(); c.RecvErr || !c.IPv6 {
			t.Errorf("socket of a host without an error queue: %+v", c)
		}
	})
}
