package sock

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/pathdtls/pathdtls/platform"
)

// plainPacketConn hides the *net.UDPConn under it.
type plainPacketConn struct{ net.PacketConn }

func TestFromPacketConn(t *testing.T) {
	pc, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := FromPacketConn(pc, platform.DFProbe)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*udpConn); !ok || c.LocalAddr() != addrOf(pc.LocalAddr()) {
		t.Fatalf("FromPacketConn(*net.UDPConn) = %T at %v", c, c.LocalAddr())
	}

	other, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := FromPacketConn(plainPacketConn{other}, platform.DFProbe)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Capabilities() != (platform.Capabilities{}) || p.LocalAddr() != addrOf(other.LocalAddr()) {
		t.Fatalf("plain adapter: capabilities %+v at %v", p.Capabilities(), p.LocalAddr())
	}
	if _, err := p.RouteMTU(netip.MustParseAddr("127.0.0.1")); !errors.Is(err, platform.ErrUnsupported) {
		t.Fatalf("RouteMTU of the plain adapter: %v", err)
	}
	if err := p.DrainErrors(func(platform.QueuedError) { t.Error("an entry") }); err != nil {
		t.Fatal(err)
	}
	s := New(p, nil)
	if err := s.Send([]byte("plain"), c.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	n, from, err := c.ReadFrom(b)
	if err != nil || string(b[:n]) != "plain" || from != p.LocalAddr() {
		t.Fatalf("ReadFrom = %q from %v, %v", b[:n], from, err)
	}
	if err := c.WriteTo([]byte("back"), from); err != nil {
		t.Fatal(err)
	}
	if n, from, err := s.ReadFrom(b); err != nil || string(b[:n]) != "back" || from != c.LocalAddr() {
		t.Fatalf("ReadFrom = %q from %v, %v", b[:n], from, err)
	}
}
