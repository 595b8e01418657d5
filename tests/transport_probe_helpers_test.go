//go:build linux

package tests

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// connectWith is connectPMTU with the given Dialer and ListenConfig; each
// of adjust, if any, changes the client's and the server's configurations
// before use.
func connectWith(t *testing.T, tp *netns.Topology, network string, chain *peer.Chain, d transport.Dialer, lc transport.ListenConfig, adjust ...func(client, server *dtls.Config)) *pmtuPair {
	t.Helper()
	ccfg, scfg, ctr, str := pmtuConfigs(chain)
	for _, f := range adjust {
		f(ccfg, scfg)
	}
	var l *transport.Listener
	tp.Server.Run(t, func() {
		var err error
		l, err = lc.Listen(t.Context(), network, netip.AddrPortFrom(tp.Server.West.Addr(network), 0).String(), scfg)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), pmtuWait)
	defer cancel()
	accepted := make(chan *transport.Conn, 1)
	serverErr := make(chan error, 1)
	go func() {
		c, err := l.AcceptContext(ctx)
		if err == nil {
			err = c.HandshakeContext(ctx)
			accepted <- c
		}
		serverErr <- err
	}()
	p := &pmtuPair{clientTr: ctr, serverTr: str}
	tp.Client.Run(t, func() {
		start := time.Now()
		c, err := d.Dial(ctx, network, l.Addr().String(), ccfg)
		p.elapsed = time.Since(start)
		if err != nil {
			ctr.log(t, "client")
			t.Fatalf("Dial: %v", err)
		}
		p.client = c
	})
	t.Cleanup(func() { p.client.Close() })
	if err := <-serverErr; err != nil {
		str.log(t, "server")
		t.Fatalf("server handshake: %v", err)
	}
	p.server = <-accepted
	t.Cleanup(func() { p.server.Close() })
	return p
}

// probeTimers are short pmtu timers, so that a search and its
// confirmations take a fraction of a second rather than minutes.
var probeTimers = struct{ probe, confirm, raise time.Duration }{
	probe:   150 * time.Millisecond,
	confirm: 300 * time.Millisecond,
	raise:   2 * time.Second,
}

// probeDialer and probeListenConfig return the Dialer and the ListenConfig
// with probeTimers.
func probeDialer() transport.Dialer {
	return transport.Dialer{ProbeTimeout: probeTimers.probe, ConfirmTimeout: probeTimers.confirm, RaiseTimeout: probeTimers.raise}
}

func probeListenConfig() transport.ListenConfig {
	return transport.ListenConfig{ProbeTimeout: probeTimers.probe, ConfirmTimeout: probeTimers.confirm, RaiseTimeout: probeTimers.raise}
}

// reader reads a Conn in a goroutine, as an application does, and passes
// on the length of each datagram it reads.
type reader struct {
	lens chan int
	done chan struct{}
}

// startReader starts reading c until it is closed; the reader is stopped
// when the test ends.
func startReader(t *testing.T, c *transport.Conn) *reader {
	r := &reader{lens: make(chan int, 1024), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 1<<16)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			select {
			case r.lens <- n:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-r.done
	})
	return r
}

// next waits for the next datagram and returns its length.
func (r *reader) next(t *testing.T) int {
	t.Helper()
	select {
	case n := <-r.lens:
		return n
	case <-time.After(pmtuWait):
		t.Fatalf("no datagram within %v", pmtuWait)
		return 0
	}
}

// sendRead writes a datagram of from's MaxPayload and checks that the
// reader of the other end reads it whole.
func sendRead(t *testing.T, from *transport.Conn, to *reader) {
	t.Helper()
	n := from.MaxPayload()
	if _, err := from.Write(make([]byte, n)); err != nil {
		t.Fatalf("Write(%d bytes): %v", n, err)
	}
	if got := to.next(t); got != n {
		t.Fatalf("read %d bytes; want the %d written", got, n)
	}
}

// sendUntilRead writes datagrams of from's MaxPayload until the reader of
// the other end reads one, for a path that may lose some, and returns how
// many it sent again.
func sendUntilRead(t *testing.T, from *transport.Conn, to *reader) (resent int) {
	t.Helper()
	n := from.MaxPayload()
	for deadline := time.Now().Add(pmtuWait); ; resent++ {
		if time.Now().After(deadline) {
			t.Fatalf("no datagram of %d bytes arrived in %v", n, pmtuWait)
		}
		if _, err := from.Write(make([]byte, n)); errors.Is(err, transport.ErrNotSent) {
			continue // a flood of ICMP errors kept the socket from sending it
		} else if err != nil {
			t.Fatalf("Write(%d bytes): %v", n, err)
		}
		select {
		case got := <-to.lens:
			if got == n {
				return resent
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitPathMTU waits until c's path MTU is mtu.
func waitPathMTU(t *testing.T, c *transport.Conn, mtu int) time.Duration {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(pmtuWait); c.PathMTU() != mtu; {
		changed := c.PathMTUChanged()
		if c.PathMTU() == mtu {
			break
		}
		select {
		case <-changed:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("path MTU %d after %v; want %d (%+v)", c.PathMTU(), pmtuWait, mtu, c.PathStats())
		}
	}
	return time.Since(start)
}

// sniffUDP opens a raw socket in ns that reads the UDP datagrams arriving
// there for network's family, and returns a function that returns the
// payload of the next one from src to dst.
func sniffUDP(t *testing.T, ns *netns.Namespace, network string) func(src, dst netip.AddrPort) []byte {
	t.Helper()
	rawNetwork := "ip4:17"
	if network == "udp6" {
		rawNetwork = "ip6:17"
	}
	var c net.PacketConn
	ns.Run(t, func() {
		var err error
		if c, err = net.ListenPacket(rawNetwork, ns.West.Addr(network).String()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return func(src, dst netip.AddrPort) []byte {
		t.Helper()
		buf := make([]byte, 1<<16)
		if err := c.SetReadDeadline(time.Now().Add(pmtuWait)); err != nil {
			t.Fatal(err)
		}
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				t.Fatalf("sniffing: %v", err)
			}
			var sport, dport, length, sum uint16
			var payload []byte
			s := cryptobyte.String(buf[:n])
			if !s.ReadUint16(&sport) || !s.ReadUint16(&dport) || !s.ReadUint16(&length) ||
				!s.ReadUint16(&sum) || !s.ReadBytes(&payload, len(s)) {
				continue
			}
			ip, _ := netip.AddrFromSlice(from.(*net.IPAddr).IP)
			if ip.Unmap() == src.Addr() && sport == src.Port() && dport == dst.Port() {
				return payload
			}
		}
	}
}
