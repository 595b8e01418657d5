package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/platform"
)

// A rebindConn is a client socket behind a NAT whose binding changes: it
// sends from its first socket until rebind, then from its second, which
// has another port, and reads from both, as the client's own socket would
// behind the NAT. It keeps a copy of every datagram sent.
type rebindConn struct {
	*memnet.Conn // the first socket
	second       *memnet.Conn
	rebound      atomic.Bool
	in           chan datagramFrom
	toSecond     atomic.Int64 // datagrams the second socket received

	mu   sync.Mutex
	sent [][]byte
}

type datagramFrom struct {
	b    []byte
	from netip.AddrPort
}

func newRebindConn(t *testing.T, tn *testNet) *rebindConn {
	t.Helper()
	var socks [2]*memnet.Conn
	for i := range socks {
		c, err := tn.client.Dial(netip.AddrPortFrom(tn.c4, 0), tn.serverAddr(false))
		if err != nil {
			t.Fatal(err)
		}
		socks[i] = c
	}
	r := &rebindConn{Conn: socks[0], second: socks[1], in: make(chan datagramFrom, 64)}
	var readers sync.WaitGroup
	for i, c := range socks {
		readers.Go(func() {
			buf := make([]byte, 65536)
			for {
				n, from, err := c.ReadFrom(buf)
				if errors.Is(err, net.ErrClosed) {
					return
				}
				if err == nil {
					if i == 1 {
						r.toSecond.Add(1)
					}
					r.in <- datagramFrom{bytes.Clone(buf[:n]), from}
				}
			}
		})
	}
	go func() {
		readers.Wait()
		close(r.in)
	}()
	return r
}

func (r *rebindConn) rebind() { r.rebound.Store(true) }

func (r *rebindConn) WriteTo(b []byte, to netip.AddrPort) error {
	r.mu.Lock()
	r.sent = append(r.sent, bytes.Clone(b))
	r.mu.Unlock()
	if r.rebound.Load() {
		return r.second.WriteTo(b, to)
	}
	return r.Conn.WriteTo(b, to)
}

func (r *rebindConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	d, ok := <-r.in
	if !ok {
		return 0, netip.AddrPort{}, net.ErrClosed
	}
	return copy(b, d.b), d.from, nil
}

func (r *rebindConn) DrainErrors(fn func(platform.QueuedError)) error {
	err := r.Conn.DrainErrors(fn)
	if err2 := r.second.DrainErrors(fn); err == nil {
		err = err2
	}
	return err
}

func (r *rebindConn) Close() error {
	r.second.Close()
	return r.Conn.Close()
}

func (r *rebindConn) lastSent() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[len(r.sent)-1]
}

// TestConnectionIDRebinding runs a client whose NAT binding changes in
// the middle of a stream: the listener finds its association by the
// connection ID, moves it to the new address on the first authentic newer
// record, and the data goes on both ways. A replayed or altered datagram
// from an attacker's address does not move it. DTLS 1.2 (RFC 9146) and
// DTLS 1.3 (RFC 9147 §9, the ID in the unified header) alike.
func TestConnectionIDRebinding(t *testing.T) {
	for _, v := range []uint16{dtls.VersionDTLS12, dtls.VersionDTLS13} {
		t.Run(fmt.Sprintf("%#x", v), func(t *testing.T) { testConnectionIDRebinding(t, v) })
	}
}

func testConnectionIDRebinding(t *testing.T, v uint16) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		cc.MaxVersion, sc.MaxVersion = v, v
		cc.ConnectionID = &dtls.ConnectionIDConfig{Length: 0}
		sc.ConnectionID = &dtls.ConnectionIDConfig{Length: 8}
		l := tn.listen(t, nil, sc, false)
		accepted := make(chan *Conn, 1)
		go func() {
			if s, err := l.AcceptContext(t.Context()); err == nil {
				accepted <- s
				echo(s)
			}
		}()
		rc := newRebindConn(t, tn)
		c, err := new(Dialer).newClient(rc, tn.serverAddr(false), cc)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		if st := c.ConnectionState(); st.Version != v || len(st.PeerConnectionID) != 8 {
			t.Fatalf("version %#x, the server's ID %x", st.Version, st.PeerConnectionID)
		}
		s := <-accepted
		roundTrip(t, c, "before")
		old := rc.lastSent()

		rc.rebind()
		roundTrip(t, c, "after the NAT rebinding")
		if got, want := s.RemoteAddr().String(), rc.second.LocalAddr().String(); got != want {
			t.Fatalf("the association is at %s, want %s", got, want)
		}
		if m := l.Stats().Moved; m != 1 {
			t.Fatalf("%d moves", m)
		}
		if rc.toSecond.Load() == 0 {
			t.Fatal("the echo did not come to the new port: the association moved after answering")
		}

		attacker, err := tn.client.Dial(netip.AddrPortFrom(tn.c4, 0), tn.serverAddr(false))
		if err != nil {
			t.Fatal(err)
		}
		defer attacker.Close()
		forged := bytes.Clone(rc.lastSent())
		forged[len(forged)-1] ^= 1
		for _, d := range [][]byte{old, rc.lastSent(), forged} {
			if err := attacker.WriteTo(d, tn.serverAddr(false)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got, want := s.RemoteAddr().String(), rc.second.LocalAddr().String(); got != want {
			t.Fatalf("the attacker moved the association to %s", got)
		}
		roundTrip(t, c, "still there")
		if m := l.Stats().Moved; m != 1 {
			t.Fatalf("%d moves", m)
		}
	})
}

// roundTrip writes msg on c and checks that the echo comes back.
func roundTrip(t *testing.T, c *Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != msg {
		t.Fatalf("read %q, %v; want %q", buf[:n], err, msg)
	}
}

// TestConnectionIDMoveCloses moves a client to the address of another
// association, which the move closes: that association's connection ID
// leaves the listener's table with it, rather than naming a closed
// association for as long as the listener lives.
func TestConnectionIDMoveCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		cc.ConnectionID = &dtls.ConnectionIDConfig{Length: 0}
		sc.ConnectionID = &dtls.ConnectionIDConfig{Length: 8}
		l := tn.listen(t, nil, sc, false)
		go func() {
			for {
				s, err := l.AcceptContext(t.Context())
				if err != nil {
					return
				}
				go echo(s)
			}
		}()
		y, err := tn.client.Dial(netip.AddrPortFrom(tn.c4, 0), tn.serverAddr(false))
		if err != nil {
			t.Fatal(err)
		}
		b, err := new(Dialer).newClient(y, tn.serverAddr(false), cc)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.Handshake(); err != nil {
			t.Fatal(err)
		}
		bID := b.ConnectionState().PeerConnectionID
		if l.cids.lookup(bID) == nil {
			t.Fatalf("connection ID %x not filed", bID)
		}

		// a's NAT binding moves to y's address.
		rc := newRebindConn(t, tn)
		rc.second.Close()
		rc.second = y
		a, err := new(Dialer).newClient(rc, tn.serverAddr(false), cc)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Handshake(); err != nil {
			t.Fatal(err)
		}
		roundTrip(t, a, "before")
		rc.rebind()
		if _, err := a.Write([]byte("after")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if m := l.Stats().Moved; m != 1 {
			t.Fatalf("%d moves", m)
		}
		if l.cids.lookup(bID) != nil {
			t.Fatalf("connection ID %x still names the association the move closed", bID)
		}
	})
}
