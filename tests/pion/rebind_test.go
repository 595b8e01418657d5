package pion

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// A nat relays a client's datagrams to a server from a port of its own,
// and the server's back, as a NAT does; rebind makes it send from another
// port, as a NAT whose binding expired does.
type nat struct {
	front  *net.UDPConn // the client talks to it
	server *net.UDPAddr
	outs   [2]*net.UDPConn
	cur    atomic.Int32
	client atomic.Pointer[net.UDPAddr]
	wg     sync.WaitGroup
}

func newNAT(t *testing.T, server *net.UDPAddr) *nat {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	n := &nat{front: listen(), server: server}
	n.outs[0], n.outs[1] = listen(), listen()
	n.wg.Go(n.forward)
	for _, out := range n.outs {
		n.wg.Go(func() { n.back(out) })
	}
	t.Cleanup(func() {
		n.front.Close()
		n.outs[0].Close()
		n.outs[1].Close()
		n.wg.Wait()
	})
	return n
}

func (n *nat) forward() {
	buf := make([]byte, 65536)
	for {
		k, from, err := n.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		n.client.Store(from)
		n.outs[n.cur.Load()].WriteToUDP(buf[:k], n.server)
	}
}

func (n *nat) back(out *net.UDPConn) {
	buf := make([]byte, 65536)
	for {
		k, _, err := out.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if c := n.client.Load(); c != nil {
			n.front.WriteToUDP(buf[:k], c)
		}
	}
}

func (n *nat) rebind() { n.cur.Store(1) }

// TestPionClientRebinding runs a pion client with connection IDs through
// a NAT whose binding changes in the middle of a stream: our listener
// finds the association by its ID, follows the client to its new address,
// and every record of the stream is echoed.
func TestPionClientRebinding(t *testing.T) {
	l, accepted := echoServer(t, ourConfig(8))
	n := newNAT(t, l.Addr().(*net.UDPAddr))
	pc, err := pionClient(n.front.LocalAddr().(*net.UDPAddr), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := pc.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	s, ok := <-accepted
	if !ok {
		t.Fatal("nothing accepted")
	}
	for i := range 40 {
		if i == 20 {
			n.rebind()
		}
		roundTrip(t, pc, []byte(fmt.Sprintf("record %d", i)))
	}
	if got, want := s.RemoteAddr().String(), n.outs[1].LocalAddr().String(); got != want {
		t.Fatalf("the association is at %s, want %s", got, want)
	}
	if st := l.Stats(); st.Moved != 1 {
		t.Fatalf("%d moves", st.Moved)
	}
}
