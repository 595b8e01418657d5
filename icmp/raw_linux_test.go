package icmp

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/platform"
)

// These tests run in the machine's own network namespace, so they only
// cause ICMP messages that change no path MTU: port unreachables, and
// forged messages about ports no socket is bound to.

// listenUDP opens a UDP socket on the loopback address addr.
func listenUDP(t *testing.T, network, addr string, opts platform.Options) *net.UDPConn {
	t.Helper()
	lc := net.ListenConfig{Control: platform.Control(opts, nil)}
	c, err := lc.ListenPacket(t.Context(), network, net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

// closedPort returns an address on addr with no socket bound to it.
func closedPort(t *testing.T, network, addr string) netip.AddrPort {
	t.Helper()
	c := listenUDP(t, network, addr, platform.Options{})
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	c.Close()
	return ap
}

func addrPort(c *net.UDPConn) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestErrQueueEvent(t *testing.T) {
	// A port unreachable from the kernel, through the error queue, to a
	// validated event.
	for _, tc := range []struct{ network, addr string }{{"udp4", "127.0.0.1"}, {"udp6", "::1"}} {
		t.Run(tc.network, func(t *testing.T) {
			c := listenUDP(t, tc.network, tc.addr, platform.Options{RecvErr: true})
			dst := closedPort(t, tc.network, tc.addr)
			if _, err := c.WriteToUDPAddrPort(record, dst); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadFromUDPAddrPort(make([]byte, 10)); !errors.Is(err, syscall.ECONNREFUSED) || !platform.IsTransientReadError(err) {
				t.Fatalf("read after a port unreachable: %v", err)
			}
			rc, err := c.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			var events []Event
			err = platform.ReadErrQueue(rc, func(q platform.QueuedError) {
				if ev, ok := FromQueued(addrPort(c), q); ok {
					events = append(events, ev)
				}
			})
			if err != nil || len(events) != 1 {
				t.Fatalf("ReadErrQueue: %v, %d events", err, len(events))
			}
			var v Validator
			v.MinQuote = 13
			ev, err := v.Validate(events[0], addrPort(c), dst, len(record), sentRecord)
			if err != nil || ev.Kind != KindPortUnreachable || ev.Remote != dst || ev.Reporter != dst.Addr() || !bytes.Equal(ev.Quote, record) {
				t.Errorf("Validate = %v, %v", ev, err)
			}
		})
	}
}

func TestRawListener(t *testing.T) {
	testenv.MustRoot(t)
	for _, tc := range []struct {
		network, udp, addr string
		ipv6               bool
	}{
		{"ip4:icmp", "udp4", "127.0.0.1", false},
		{"ip6:ipv6-icmp", "udp6", "::1", true},
	} {
		t.Run(tc.network, func(t *testing.T) {
			testRawListener(t, tc.network, tc.udp, tc.addr, tc.ipv6)
		})
	}
}

func testRawListener(t *testing.T, network, udp, addr string, ipv6 bool) {
	events := make(chan Event, 64)
	l, err := ListenRaw(network, func(ev Event) {
		select {
		case events <- ev:
		default: // the test has failed already
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}()
	c, other := listenUDP(t, udp, addr, platform.Options{}), listenUDP(t, udp, addr, platform.Options{})
	dst := closedPort(t, udp, addr)
	l.Watch(addrPort(c))
	if _, err := other.WriteToUDPAddrPort([]byte("not watched"), dst); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToUDPAddrPort(record, dst); err != nil {
		t.Fatal(err)
	}
	ev := <-events
	want := Event{Local: addrPort(c), Remote: dst, Reporter: dst.Addr(), Kind: KindPortUnreachable, Type: 3, Code: 3, Quote: record, QuotedLen: len(record)}
	if ipv6 {
		want.Type, want.Code, want.IPv6 = 1, 4, true
	}
	checkEvent(t, ev, want)
	if s := l.Stats(); s.Delivered != 1 || s.NotOurs < 1 || s.Read < 2 {
		t.Errorf("Stats() = %+v", s)
	}

	// A forged message about a watched wildcard port with no socket.
	l.Unwatch(addrPort(c))
	ghost := closedPort(t, udp, addr)
	wildcard := netip.AddrPortFrom(netip.IPv6Unspecified(), ghost.Port())
	l.Watch(wildcard)
	if _, err := c.WriteToUDPAddrPort(record, dst); err != nil {
		t.Fatal(err)
	}
	forgeTo(t, ipv6, addr, ghost, dst)
	for ev := range events {
		if ev.Local == addrPort(c) {
			t.Fatalf("event for an unwatched address: %v", ev)
		}
		if ev.Local == ghost {
			var v Validator
			got, err := v.Validate(ev, wildcard, dst, 1400, sentRecord)
			if err != nil || got.MTU != 1280 {
				t.Errorf("Validate(%v) = %v, %v", ev, got, err)
			}
			break
		}
	}
}

// forgeTo sends a fragmentation needed or Packet Too Big with MTU 1280
// about a 1400-byte datagram from src to dst, to the loopback address addr.
func forgeTo(t *testing.T, ipv6 bool, addr string, src, dst netip.AddrPort) {
	t.Helper()
	network := "ip4:icmp"
	msg := icmpMsg(ProtocolICMP, 3, 4, 1280, ipv4Datagram{src: src, dst: dst, proto: protoUDP, payloadLen: 1400, quote: record}.bytes())
	if ipv6 {
		network = "ip6:ipv6-icmp"
		msg = icmpMsg(ProtocolICMPv6, 2, 0, 1280, ipv6Datagram{src: src, dst: dst, payloadLen: 1400, quote: record}.bytes())
	}
	c, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteTo(msg, &net.IPAddr{IP: net.ParseIP(addr)}); err != nil {
		t.Fatal(err)
	}
}

func TestListenRawNetwork(t *testing.T) {
	for _, network := range []string{"udp4", "ip4:tcp", "ip6", ""} {
		if l, err := ListenRaw(network, func(Event) {}); err == nil {
			l.Close()
			t.Errorf("ListenRaw(%q) succeeded", network)
		}
	}
}
