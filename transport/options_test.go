package transport

import (
	"context"
	"net"
	"testing"

	"github.com/pathdtls/pathdtls/platform"
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

// TestReadersBounded checks that ListenConfig.Readers above MaxReaders is
// an error, and that MaxReaders itself is taken.
func TestReadersBounded(t *testing.T) {
	_, sc := configs(t, getPKI(t).ecdsa)
	for _, n := range []int{MaxReaders + 1, 1000} {
		lc := &ListenConfig{Readers: n}
		_, err := lc.Listen(context.Background(), "udp4", "127.0.0.1:0", sc)
		wantErr(t, "Listen", err, "ListenConfig.Readers", itoa(n), itoa(MaxReaders))
		_, err = lc.NewListener(unusedPacketConn{}, sc)
		wantErr(t, "NewListener", err, "ListenConfig.Readers", itoa(n))
	}
	l, err := (&ListenConfig{Readers: MaxReaders}).Listen(context.Background(), "udp4", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := 1
	if platform.ReusePortBalances {
		want = MaxReaders
	}
	if len(l.shards) != want {
		t.Errorf("%d readers, want %d", len(l.shards), want)
	}
}
