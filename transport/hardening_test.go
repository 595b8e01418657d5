package transport

import (
	"crypto/tls"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/platform"
)

// The tests in this file attack or surprise an association in ways the
// engine must survive without losing its path MTU or its peer.

// TestNewClientHelloReplacesAssociation has a client that vanished come
// back from the same address and port with a new handshake (RFC 6347
// §4.2.8): once its new ClientHello passes the cookie exchange, a new
// association starts and the old one ends.
func TestNewClientHelloReplacesAssociation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		local := netipAddrPort("10.0.0.1:40000")
		dialFrom := func() (*Conn, error) {
			sconn, err := tn.client.Dial(local, tn.serverAddr(false))
			if err != nil {
				return nil, err
			}
			c, err := new(Dialer).newClient(sconn, tn.serverAddr(false), cc)
			if err == nil {
				err = c.Handshake()
			}
			return c, err
		}
		first, err := dialFrom()
		if err != nil {
			t.Fatal(err)
		}
		first.client.sock.Conn().Close() // gone without a close_notify
		second, err := dialFrom()
		if err != nil {
			t.Fatalf("second handshake from the same port: %v", err)
		}
		defer second.Close()
		defer first.Close()
		if _, err := second.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		if n, err := second.Read(buf); err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("echo on the new association: %q, %v", buf[:n], err)
		}
		if st := l.Stats(); st.Restarted != 1 || st.Associations != 1 {
			t.Errorf("listener stats %+v: want 1 restart and 1 association", st)
		}
	})
}

// TestShortQuotePTBIsAHint forges what an off-path attacker can: a
// "fragmentation needed" that quotes only the IP and UDP headers (RFC 792
// allows that) with the addresses and ports right. It must not cut the path
// MTU: it may only make the prober check the current size, which gets
// through.
func TestShortQuotePTBIsAHint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn, _, c := established(t)
		time.Sleep(30 * time.Second) // the search completes at 1500, well before a confirmation
		before := c.PathStats()
		forged := platform.QueuedError{
			Errno: syscall.EMSGSIZE, Origin: platform.OriginICMP, Type: 3, Code: 4, Info: 576,
			Offender: netipAddrPort("192.0.2.1:0").Addr(), Dest: tn.serverAddr(false),
		}
		c.client.sock.Conn().(*memnet.Conn).InjectError(forged)
		synctest.Wait()
		time.Sleep(5 * time.Second)
		after := c.PathStats()
		if c.PathMTU() != 1500 {
			t.Errorf("path MTU %d after a forged PTB, want 1500", c.PathMTU())
		}
		if after.ICMPHints != before.ICMPHints+1 || after.ProbesSent <= before.ProbesSent || after.ProbesLost != before.ProbesLost {
			t.Errorf("before %+v, after %+v: want one hint and an answered confirmation probe", before, after)
		}
	})
}

// TestNarrowingFoundWithoutUsableICMP narrows a path whose router quotes
// nothing in its ICMP messages: they are hints only, so the narrowing is
// found by the probes, and the path MTU settles on the new size.
func TestNarrowingFoundWithoutUsableICMP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn, _, c := established(t)
		time.Sleep(time.Minute)
		tn.n.SetPath(tn.c4, tn.s4, memnet.PathConfig{MTU: 1400, QuoteLen: memnet.NoQuote})
		// The application keeps talking, so the peer is not silent.
		buf := make([]byte, 100)
		for range 300 {
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			c.Read(buf)
			time.Sleep(time.Second)
		}
		if got := c.PathMTU(); got != 1400 {
			t.Errorf("path MTU %d, want 1400: %+v", got, c.PathStats())
		}
	})
}

// TestAbandonedAssociationsReaped has 500 clients complete their
// handshakes and vanish without a word: the listener must close every one
// of their associations within the default idle timeout and a period.
func TestAbandonedAssociationsReaped(t *testing.T) {
	if testing.Short() {
		t.Skip("500 handshakes")
	}
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := pskConfigs([]byte("0123456789abcdef"), []byte("0123456789abcdef"))
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		for i := range 500 {
			c, err := tn.dial(&Dialer{DisableProbing: true}, cc, false)
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			c.client.sock.Conn().Close() // gone without a close_notify
			c.Close()
		}
		if n := l.Stats().Associations; n != 500 {
			t.Fatalf("%d associations after the handshakes, want 500", n)
		}
		time.Sleep(2 * DefaultIdleTimeout)
		if st := l.Stats(); st.Associations != 0 {
			t.Errorf("%d associations left after %v: %+v", st.Associations, 2*DefaultIdleTimeout, st)
		}
	})
}

// TestRawICMPWithoutErrorQueue runs a client on a host without a socket
// error queue (as macOS, FreeBSD and Windows are) whose process may open
// raw ICMP sockets: the "fragmentation needed" of a 1000-byte link must
// reach the transport through them, and shrink the path during the
// handshake, without a timeout. (The flight is sent in datagrams of even
// sizes, about 1180 bytes for this chain, hence a 1000-byte link.)
func TestRawICMPWithoutErrorQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		host, err := tn.n.AddHost(memnet.HostConfig{
			Addrs: []netip.Addr{netip.MustParseAddr("10.0.2.1")}, MTU: 1500, NoErrorQueue: true, RawICMP: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		tn.n.SetPath(netip.MustParseAddr("10.0.2.1"), tn.s4, memnet.PathConfig{MTU: 1000})
		cc, sc := configs(t, getPKI(t).big)
		cc.Certificates = sc.Certificates // a client certificate chain of 5.7 KB crosses the narrow link
		sc.ClientAuth = tls.RequireAnyClientCert
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		sconn, err := host.Dial(netip.MustParseAddrPort("10.0.2.1:0"), tn.serverAddr(false))
		if err != nil {
			t.Fatal(err)
		}
		c, err := new(Dialer).newClient(sconn, tn.serverAddr(false), cc)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		st := c.PathStats()
		if d := time.Since(start); d != 0 || st.ICMPAccepted == 0 || st.LostFlights != 0 {
			t.Errorf("handshake took %v with %+v: want the raw socket's ICMP, no timeout", d, st)
		}
		if c.PathMTU() > 1000 {
			t.Errorf("path MTU %d over a 1000-byte link", c.PathMTU())
		}
	})
}
