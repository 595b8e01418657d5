package transport

import (
	"net"
	"testing"
)

// TestNilInputsRefused checks that Client and NewListener return an
// error, not a panic, for a nil socket or a remote address that names
// none.
func TestNilInputsRefused(t *testing.T) {
	_, sc := configs(t, getPKI(t).ecdsa)
	raddr := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4433}
	for _, pc := range []net.PacketConn{nil, (*net.UDPConn)(nil)} {
		_, err := Client(pc, raddr, nil)
		wantErr(t, "Client with a nil socket", err, "Client", "nil")
		_, err = NewListener(pc, sc)
		wantErr(t, "NewListener with a nil socket", err, "NewListener", "nil")
	}
	for _, a := range []net.Addr{nil, (*net.UDPAddr)(nil)} {
		_, err := Client(unusedPacketConn{}, a, nil)
		wantErr(t, "Client with a nil address", err, "no remote address")
	}
	_, err := Client(unusedPacketConn{}, &net.UDPAddr{Port: 4433}, nil)
	wantErr(t, "Client with an address without IP", err, ":4433")
}
