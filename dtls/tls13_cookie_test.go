package dtls

import (
	"bytes"
	"net"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// firstThen is a net.Conn whose first Read returns a datagram read before
// it existed: an association created once a stateless step has accepted a
// ClientHello, as a listener does.
type firstThen struct {
	net.Conn
	first []byte
}

func (f *firstThen) Read(b []byte) (int, error) {
	if f.first != nil {
		n := copy(b, f.first)
		f.first = nil
		return n, nil
	}
	return f.Conn.Read(b)
}

// TestCookieStateless13 checks the DTLS 1.3 cookie exchange (RFC 9147
// §5.1): a ClientHello without a cookie, from a thousand addresses, gets a
// HelloRetryRequest each and changes nothing in the server's Config; the
// second ClientHello's cookie verifies from the client's address only; and
// a server that never saw the first ClientHello completes the handshake
// from the second alone, its transcript rebuilt from the cookie.
func TestCookieStateless13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(false)
		a, b := dgramtest.Pipe(dgramtest.Impairment{}, dgramtest.Impairment{})
		client := Client(a, cc)
		defer client.Close()
		cerr := make(chan error, 1)
		go func() { cerr <- client.Handshake() }()
		first := readDatagram(t, b)

		jar := sc.cookieJar()
		cur, prev, _, err := jar.secrets(sc)
		if err != nil {
			t.Fatal(err)
		}
		since := jar.since
		for i := range 1000 {
			from := &net.UDPAddr{IP: net.IPv4(198, 51, 100, byte(i)), Port: 1000 + i}
			reply, ok := sc.VerifyClientHello(first, from)
			if ok || !isHelloRetryRequest(reply) {
				t.Fatalf("a ClientHello without a cookie: accepted %v, HelloRetryRequest %v", ok, isHelloRetryRequest(reply))
			}
		}
		reply, ok := sc.VerifyClientHello(first, b.RemoteAddr())
		if ok || !isHelloRetryRequest(reply) {
			t.Fatal("the client's own first ClientHello got no HelloRetryRequest")
		}
		if c2, p2, _, _ := jar.secrets(sc); c2 != cur || p2 != prev || jar.since != since || sc.cookieJar() != jar {
			t.Fatal("cookie state changed while answering clients")
		}

		if _, err := b.Write(reply); err != nil {
			t.Fatal(err)
		}
		second := readDatagram(t, b)
		if _, ok := sc.VerifyClientHello(second, &net.UDPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 4433}); ok {
			t.Fatal("the cookie verified from another address")
		}
		if _, ok := sc.VerifyClientHello(first, b.RemoteAddr()); ok {
			t.Fatal("a ClientHello without a cookie was accepted")
		}
		if _, ok := sc.VerifyClientHello(second, b.RemoteAddr()); !ok {
			t.Fatal("the second ClientHello's cookie did not verify")
		}

		server := Server(&firstThen{Conn: b, first: second}, sc)
		defer server.Close()
		serr := make(chan error, 1)
		go func() { serr <- server.Handshake() }()
		if err := <-cerr; err != nil {
			t.Fatalf("client: %v", err)
		}
		if err := <-serr; err != nil {
			t.Fatalf("server: %v", err)
		}
		if v := server.ConnectionState().Version; v != VersionDTLS13 {
			t.Fatalf("version %#x", v)
		}
		echo13(t, client, server)
	})
}

func readDatagram(t *testing.T, c net.Conn) []byte {
	t.Helper()
	buf := make([]byte, 1<<16)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf[:n])
}

// isHelloRetryRequest says whether d is one plaintext record holding a
// ServerHello with the HelloRetryRequest random (RFC 8446 §4.1.3).
func isHelloRetryRequest(d []byte) bool {
	rh, frag, rest, ok := record.Split(d)
	if !ok || len(rest) != 0 || rh.Type != record.Handshake || rh.Epoch != 0 {
		return false
	}
	hh, body, _, ok := handshake.ParseFragment(frag)
	if !ok || hh.Type != handshake.TypeServerHello {
		return false
	}
	var sh handshake.ServerHello
	return sh.Unmarshal(body) && sh.Random == handshake.HelloRetryRequestRandom
}
