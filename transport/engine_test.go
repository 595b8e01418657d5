package transport

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/pmtu"
)

// The tests in this file run the transport over the in-memory network in
// virtual time: each checks one of the behaviours the engine must have
// without the application's help.

// writeOnly accepts one association and writes a record to it every
// second, never reading, until the test ends.
func writeOnly(t *testing.T, l *Listener) <-chan *Conn {
	got := make(chan *Conn, 1)
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		c, err := l.AcceptContext(context.Background())
		if err != nil {
			close(got)
			return
		}
		defer c.Close()
		got <- c
		msg := make([]byte, 100)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			if _, err := c.Write(msg); err != nil {
				return
			}
		}
	}()
	return got
}

// TestWriteOnlyServerKeepsPathMTU checks that a server application that only
// writes, and a client application that only reads, keep the true path MTU:
// both engines answer the other's probes on their own, and a probe lost to
// a black hole is told from a peer that is merely silent.
func TestWriteOnlyServerKeepsPathMTU(t *testing.T) {
	for _, tc := range []struct {
		name      string
		v6, black bool
	}{{"IPv4/ICMP", false, false}, {"IPv4/black hole", false, true}, {"IPv6/ICMP", true, false}, {"IPv6/black hole", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tn := newTestNet(t)
				c, s := tn.c4, tn.s4
				if tc.v6 {
					c, s = tn.c6, tn.s6
				}
				narrow := memnet.PathConfig{MTU: 1400, BlackHole: tc.black}
				tn.n.SetPath(c, s, narrow)
				tn.n.SetPath(s, c, narrow)
				cc, sc := configs(t, getPKI(t).ecdsa)
				l := tn.listen(t, nil, sc, tc.v6)
				accepted := writeOnly(t, l)
				client, err := tn.dial(nil, cc, tc.v6)
				if err != nil {
					t.Fatal(err)
				}
				defer client.Close()
				server := <-accepted
				lowest := watchLowest(client, server)
				buf := make([]byte, 2048)
				for range 900 { // 15 minutes of reading only
					client.SetReadDeadline(time.Now().Add(2 * time.Second))
					if _, err := client.Read(buf); err != nil {
						t.Fatalf("read: %v", err)
					}
				}
				for _, x := range []*Conn{client, server} {
					if got := x.PathMTU(); got != 1400 {
						t.Errorf("path MTU %d, want 1400; %+v", got, x.PathStats())
					}
				}
				if got := lowest(); got < 1200 {
					t.Errorf("path MTU fell to %d on the way, below BASE_PLPMTU", got)
				}
			})
		})
	}
}

// watchLowest samples the path MTUs of conns every 100 ms and returns a
// function that reports the lowest seen.
func watchLowest(conns ...*Conn) func() int {
	lowest := 1 << 30
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			for _, c := range conns {
				lowest = min(lowest, c.PathMTU())
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() int { close(stop); <-done; return lowest }
}

// TestLostFinalFlightWriteOnlyServer drops the server's final flight once:
// the client's retransmitted flight must be answered by a server whose
// application never reads.
func TestLostFinalFlightWriteOnlyServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		dropped := false
		tn.n.SetPath(tn.s4, tn.c4, memnet.PathConfig{Drop: func(d memnet.Datagram) bool {
			// Flight 6 starts with the ChangeCipherSpec record (type 20).
			if !dropped && len(d.Payload) > 0 && d.Payload[0] == 20 {
				dropped = true
				return true
			}
			return false
		}})
		cc, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, nil, sc, false)
		writeOnly(t, l)
		start := time.Now()
		client, err := tn.dial(nil, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if !dropped {
			t.Fatal("the final flight was not dropped")
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("handshake took %v, want one retransmission timer (1s)", d)
		}
	})
}

// TestDepartedClientsDoNotStallHandshakes connects 300 short-lived clients
// one after another. Each departs when done, so the server's last datagrams
// to it (the close_notify of its echo loop) meet a port unreachable, which
// the kernel reports as the pending error of the listener's next send, often
// the HelloVerifyRequest for the next client: that send must be retried,
// not lost, so that no client waits for a retransmission timer.
func TestDepartedClientsDoNotStallHandshakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		_, sc := pskConfigs([]byte("0123456789abcdef"), []byte("0123456789abcdef"))
		cc, _ := pskConfigs([]byte("0123456789abcdef"), nil)
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		start := time.Now()
		for i := range 300 {
			c, err := tn.dial(nil, cc, false)
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 10)
			if n, err := c.Read(buf); err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("client %d: echo %q, %v", i, buf[:n], err)
			}
			c.Close()
			synctest.Wait() // the server's close_notify meets the departed port
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("300 clients took %v of virtual time: some waited for a timer", d)
		}
		st := l.Stats()
		t.Logf("%d sends met a pending error and were sent again", st.PendingRetried)
		if st.NotSent != 0 {
			t.Errorf("%d sends failed", st.NotSent)
		}
	})
}

// TestPendingErrorMidFlight scripts the stall directly: a port unreachable
// about another peer becomes the listener socket's pending error between
// two datagrams of a flight, so that the second send meets it. The send
// must be retried, not lost.
func TestPendingErrorMidFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		sconn, err := tn.server.Listen(tn.serverAddr(false))
		if err != nil {
			t.Fatal(err)
		}
		tn.n.SetPath(tn.s4, tn.c4, memnet.PathConfig{Drop: func(d memnet.Datagram) bool {
			if d.Seq == 2 { // the first datagram of flight 4
				sconn.InjectError(portUnreachable(tn.s4, netipAddrPort("10.0.0.9:5000")))
			}
			return false
		}})
		l := (&ListenConfig{MTU: 600}).serve(sconn, sc)
		defer l.Close()
		accept(t, l)
		start := time.Now()
		c, err := tn.dial(nil, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if d := time.Since(start); d != 0 {
			t.Errorf("handshake took %v: a datagram of flight 4 was lost to the pending error", d)
		}
		if st := l.Stats(); st.PendingRetried == 0 || st.NotSent != 0 {
			t.Errorf("no send met the pending error, or one failed: %+v", st)
		}
	})
}

// TestBlackHoleBackoff runs handshakes whose server flight cannot cross a
// path that silently drops datagrams above 1000 or 600 bytes: each timeout
// must take the flight one rung down the ladder, below 1200 too, until it
// gets through, within 6 seconds.
func TestBlackHoleBackoff(t *testing.T) {
	p := getPKI(t)
	if n := chainLen(p.big); n < 5500 {
		t.Fatalf("the large chain has %d bytes, want about 5.7 KB", n)
	}
	for _, cert := range []struct {
		name string
		der  int
	}{{"5.7KB chain", 0}, {"RSA-4096", 1}} {
		for _, hole := range []int{1000, 600} {
			t.Run(cert.name+"/"+itoa(hole), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					tn := newTestNet(t)
					tn.n.SetPath(tn.s4, tn.c4, memnet.PathConfig{MTU: hole, BlackHole: true})
					leaf := p.big
					if cert.der == 1 {
						leaf = p.rsa4096
					}
					cc, sc := configs(t, leaf)
					l := tn.listen(t, nil, sc, false)
					accept(t, l)
					start := time.Now()
					c, err := tn.dial(nil, cc, false)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					if d := time.Since(start); d >= 6*time.Second {
						t.Errorf("handshake through a %d-byte black hole took %v, want < 6s", hole, d)
					}
				})
			})
		}
	}
}

// TestNoDipAfterHandshake checks that the size the handshake proved is kept
// once probing starts, and that the payload limit only grows.
func TestNoDipAfterHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, c := established(t)
		first := c.MaxPayload()
		last := first
		for range 60 {
			time.Sleep(time.Second)
			if m := c.MaxPayload(); m < last {
				t.Fatalf("MaxPayload went down from %d to %d", last, m)
			} else {
				last = m
			}
		}
		if got := c.PathMTU(); got != DefaultMaxMTU {
			t.Errorf("path MTU %d after a minute on a clean 1500-byte path, want %d", got, DefaultMaxMTU)
		}
		if st := c.PathStats(); st.ProbesLost != 0 || st.Search != pmtu.SearchComplete {
			t.Errorf("path stats %+v", st)
		}
	})
}

// TestManyClientsAtOnce starts 100 clients together; each sends 5 records
// and must get every echo back: the probes of 100 new associations must
// not crowd out their data.
func TestManyClientsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		errs := make(chan error, 100)
		for range 100 {
			go func() { errs <- echoFive(tn, cc) }()
		}
		for range 100 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

// echoFive dials, sends 5 records and reads their echoes.
func echoFive(tn *testNet, cc *dtls.Config) error {
	c, err := tn.dial(nil, cc, false)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for i := range 5 {
		msg := bytes.Repeat([]byte{byte(i)}, 1000)
		if _, err := c.Write(msg); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			return errors.Join(errors.New("echo lost"), err)
		}
	}
	return nil
}

// TestSplitClientHello has a client whose datagrams are so small that its
// ClientHello takes several: the listener must reassemble it before the
// cookie exchange, and complete the handshake.
func TestSplitClientHello(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := pskConfigs([]byte("0123456789abcdef"), []byte("0123456789abcdef"))
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		c, err := tn.dial(&Dialer{MTU: 92}, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if st := l.Stats(); st.HelloFragments < 6 {
			t.Errorf("listener saw %d ClientHello fragments, want the ClientHellos split in 3 or more", st.HelloFragments)
		}
	})
}

// TestWrongPSK checks that a handshake whose keys differ fails on both sides
// within a few timer periods, with errors that say so, rather than at the
// handshake deadline: the server cannot read the client's Finished, and
// its bad_record_mac must go out in an epoch the client can read.
func TestWrongPSK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := pskConfigs([]byte("the client's key"), []byte("the server's key"))
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		start := time.Now()
		_, err := tn.dial(nil, cc, false)
		if !errors.Is(err, dtls.AlertBadRecordMAC) {
			t.Fatalf("client error %v, want the server's bad_record_mac", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the failure took %v", d)
		}
		synctest.Wait()
		if st := l.Stats(); st.Failed != 1 {
			t.Errorf("server: %d failed handshakes, want 1", st.Failed)
		}
	})
}

// TestHandshakeErrors checks the errors of a handshake that times out: a
// net.Error that is a timeout, that matches context.DeadlineExceeded when
// the context expired, and that says the server's port was unreachable.
func TestHandshakeErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t) // nothing listens on the server: port unreachable
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c, err := tn.clientConn(nil, &dtls.Config{InsecureSkipVerify: true}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.HandshakeContext(ctx)
		var ne net.Error
		var te *dtls.HandshakeTimeoutError
		var ue *UnreachableError
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v: want a timeout matching context.DeadlineExceeded", err)
		}
		if !errors.As(err, &ue) {
			t.Errorf("error %v does not report the port unreachable", err)
		}
	})
}

// TestServerStartsLate has the client start first: the port unreachable
// its first ClientHellos meet must not end the handshake, which completes
// once the server listens.
func TestServerStartsLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		time.AfterFunc(1500*time.Millisecond, func() {
			l := tn.listen(t, nil, sc, false)
			accept(t, l)
		})
		c, err := tn.dial(nil, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})
}

// TestMTUSetters checks that the MTU setters check their bounds.
func TestMTUSetters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, c := established(t)
		if err := c.SetMaxMTU(1280); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []int{100000, 1300, 50, -1} {
			if err := c.SetFixedMTU(bad); err == nil {
				t.Errorf("SetFixedMTU(%d) under a 1280 cap was accepted", bad)
			}
		}
		if err := c.SetFixedMTU(1000); err != nil || c.PathMTU() != 1000 {
			t.Fatalf("SetFixedMTU(1000): %v, path MTU %d", err, c.PathMTU())
		}
		for _, bad := range []int{900, 100, 70000, -5} {
			if err := c.SetMaxMTU(bad); err == nil {
				t.Errorf("SetMaxMTU(%d) with MTU fixed at 1000 was accepted", bad)
			}
		}
		if err := c.SetFixedMTU(0); err != nil || c.PathMTU() > 1280 {
			t.Fatalf("SetFixedMTU(0): %v, path MTU %d", err, c.PathMTU())
		}
	})
}

// TestIdleAssociationsReaped checks that a server association whose peer
// vanished is closed after the idle timeout, and that its application's
// Read says why.
func TestIdleAssociationsReaped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, &ListenConfig{IdleTimeout: time.Minute}, sc, false)
		got := make(chan error, 1)
		go func() {
			c, err := l.AcceptContext(context.Background())
			if err == nil {
				_, err = c.Read(make([]byte, 100))
			}
			got <- err
		}()
		c, err := tn.dial(nil, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		// The client vanishes without a word: its socket closes under it.
		c.client.sock.Conn().Close()
		start := time.Now()
		if err := <-got; !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("server Read = %v, want ErrIdleTimeout", err)
		}
		if d := time.Since(start); d > 3*time.Minute {
			t.Errorf("reaped after %v", d)
		}
		c.Close()
		if n := l.Stats().Associations; n != 0 {
			t.Errorf("%d associations left", n)
		}
	})
}
