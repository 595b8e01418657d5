package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"golang.org/x/crypto/cryptobyte"
)

// clientHello returns the first datagram a DTLS client sends: a ClientHello
// without a cookie. It captures it on a plain UDP socket.
func clientHello(t testing.TB, config *dtls.Config) []byte {
	t.Helper()
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	nc, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = dtls.Client(nc, config).Handshake(ctx)
	}()
	defer func() { cancel(); <-done; nc.Close() }()
	buf := make([]byte, maxDatagram)
	sink.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := sink.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// isHelloVerifyRequest reports whether d is one record holding one
// HelloVerifyRequest (RFC 6347 §4.2.1).
func isHelloVerifyRequest(d []byte) bool {
	s := cryptobyte.String(d)
	var typ, msgType uint8
	var frag cryptobyte.String
	return s.ReadUint8(&typ) && typ == 22 && // handshake
		s.Skip(2+2+6) && // version, epoch, sequence_number
		s.ReadUint16LengthPrefixed(&frag) && s.Empty() &&
		frag.ReadUint8(&msgType) && msgType == 3 // hello_verify_request
}

// TestCookieFlood sends a ClientHello without a cookie from many source
// ports: each gets a HelloVerifyRequest and none creates any state.
func TestCookieFlood(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	l := listen(t, ListenConfig{}, sc)
	hello := clientHello(t, cc)
	const senders = 50
	buf := make([]byte, maxDatagram)
	for i := range senders {
		s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteTo(hello, l.Addr()); err != nil {
			t.Fatal(err)
		}
		s.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := s.Read(buf)
		s.Close()
		if err != nil {
			t.Fatalf("sender %d: %v", i, err)
		}
		if !isHelloVerifyRequest(buf[:n]) {
			t.Fatalf("sender %d got %x, want a HelloVerifyRequest", i, buf[:n])
		}
	}
	// Each reply was sent after its ClientHello was judged, so every
	// decision has been made by now.
	if got := l.stats.hellosVerify.Load(); got != senders {
		t.Errorf("sent %d HelloVerifyRequests, want %d", got, senders)
	}
	if n, c := l.associations(), l.stats.created.Load(); n != 0 || c != 0 {
		t.Errorf("%d associations live, %d created; want none", n, c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := l.AcceptContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("AcceptContext = %v, %v; want nothing to accept", c, err)
	}
}

// TestGarbageIgnored checks that a datagram from an unknown address that is
// no ClientHello gets no answer and creates nothing.
func TestGarbageIgnored(t *testing.T) {
	_, sc := configs(t, dtls.VersionDTLS12, true)
	l := listen(t, ListenConfig{}, sc)
	s, err := net.DialUDP("udp4", nil, l.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, d := range [][]byte{{}, {22}, []byte("GET / HTTP/1.0\r\n\r\n"), make([]byte, 1500)} {
		if _, err := s.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "datagrams to be read", func() bool { return l.stats.ignored.Load() == 4 })
	if n, h := l.associations(), l.stats.hellosVerify.Load(); n != 0 || h != 0 {
		t.Errorf("%d associations, %d HelloVerifyRequests; want none", n, h)
	}
}

// TestBacklog checks that no more than Backlog associations wait for
// Accept, that ClientHellos arriving meanwhile are dropped, and that their
// clients get in by retransmitting once Accept makes room.
func TestBacklog(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, true)
	cc.RetransmitTimeout = 50 * time.Millisecond
	l := listen(t, ListenConfig{Backlog: 2}, sc)
	const clients = 4
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c, err := Dial(context.Background(), "udp4", l.Addr().String(), cc)
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			c.Close()
		})
	}
	waitFor(t, "the backlog to fill and overflow", func() bool {
		return l.stats.created.Load() == 2 && l.stats.backlogFull.Load() >= 2
	})
	if n, c := l.associations(), l.stats.created.Load(); n != 2 || c != 2 {
		t.Errorf("backlog 2 holds %d associations (%d created)", n, c)
	}
	wait := serveEcho(l)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := l.stats.created.Load(); c != clients {
		t.Errorf("created %d associations, want %d", c, clients)
	}
	l.Close()
	wait()
}

// TestCloseUnblocks checks that Close makes a blocked Accept and a blocked
// server Read return, sends close_notify to the client, and leaves no
// goroutine behind.
func TestCloseUnblocks(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, true)
	before := runtime.NumGoroutine()
	l, err := Listen("udp4", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	serverDone := make(chan error, 1) // the server's handshake
	serverRead := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			err = c.Handshake(context.Background())
		}
		serverDone <- err
		if err != nil {
			return
		}
		_, err = c.Read(make([]byte, 100))
		serverRead <- err
	}()
	client := dial(t, Dialer{}, "udp4", l, cc)
	if err := <-serverDone; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	accepted := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		accepted <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-accepted; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
	}
	if err := <-serverRead; !isClosedErr(err) {
		t.Errorf("server Read after Close = %v, want a closed error", err)
	}
	client.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := client.Read(make([]byte, 100)); !isClosedErr(err) {
		t.Errorf("client Read after listener Close = %v, want io.EOF (close_notify)", err)
	}
	client.Close()
	if err := l.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	if n := l.associations(); n != 0 {
		t.Errorf("%d associations left after Close", n)
	}
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

// FuzzDispatch feeds arbitrary datagrams from an unknown peer to the
// listener's demultiplexer: none may create an association, since none can
// carry a valid cookie, and none may make it panic. The seeds are a real
// ClientHello, its prefixes and the HelloVerifyRequest that answers it.
func FuzzDispatch(f *testing.F) {
	cc, sc := configs(f, dtls.VersionDTLS12, true)
	l := listen(f, ListenConfig{}, sc)
	hello := clientHello(f, cc)
	from := netip.MustParseAddrPort("127.0.0.1:9") // discard
	reply, _ := sc.VerifyClientHello(hello, net.UDPAddrFromAddrPort(from))
	for _, seed := range [][]byte{hello, hello[:13], hello[:25], hello[:len(hello)-1], reply, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		l.dispatch(d, from)
		if n := l.stats.created.Load(); n != 0 {
			t.Fatalf("datagram %x created %d associations", d, n)
		}
	})
}
