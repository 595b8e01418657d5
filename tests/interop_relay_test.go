package tests

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// relay forwards UDP datagrams between a server and one client, the first
// to send it one, and keeps every datagram of both directions. It sends
// to the server from one of two ports: the first until rebind, the second
// from then on, as a NAT whose binding expired does. What the server sends
// to either port goes back to the client.
type relay struct {
	front  *net.UDPConn    // faces the client
	outs   [2]*net.UDPConn // face the server
	server netip.AddrPort
	cur    atomic.Int32 // the index in outs of the port in use
	wg     sync.WaitGroup

	mu                 sync.Mutex
	client             netip.AddrPort
	toServer, toClient [][]byte
}

// newRelay starts a relay to server, on server's address; the client
// sends to its addr.
func newRelay(t *testing.T, server netip.AddrPort) *relay {
	t.Helper()
	r := &relay{server: server}
	conns := []**net.UDPConn{&r.front, &r.outs[0], &r.outs[1]}
	t.Cleanup(func() {
		for _, c := range conns {
			if *c != nil {
				(*c).Close()
			}
		}
		r.wg.Wait()
	})
	for _, c := range conns {
		var err error
		if *c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(server.Addr(), 0))); err != nil {
			t.Fatal(err)
		}
	}
	r.wg.Go(r.forwardToServer)
	for _, out := range r.outs {
		r.wg.Go(func() { r.forwardToClient(out) })
	}
	return r
}

func (r *relay) addr() netip.AddrPort { return r.front.LocalAddr().(*net.UDPAddr).AddrPort() }

// port returns the address the server sees the client at: that of outs[i].
func (r *relay) port(i int) netip.AddrPort { return r.outs[i].LocalAddr().(*net.UDPAddr).AddrPort() }

// rebind makes the relay send the client's datagrams from its second port.
func (r *relay) rebind() { r.cur.Store(1) }

// sizes returns the sizes of the datagrams relayed so far, in order.
func (r *relay) sizes() (toServer, toClient []int) {
	s, c := r.datagrams()
	return lens(s), lens(c)
}

func lens(datagrams [][]byte) []int {
	n := make([]int, len(datagrams))
	for i, d := range datagrams {
		n[i] = len(d)
	}
	return n
}

func (r *relay) forwardToServer() {
	buf := make([]byte, 1<<16)
	for {
		n, from, err := r.front.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		r.mu.Lock()
		if !r.client.IsValid() {
			r.client = from
		}
		ok := err == nil && from == r.client
		if ok {
			r.toServer = append(r.toServer, bytes.Clone(buf[:n]))
		}
		r.mu.Unlock()
		if ok {
			r.outs[r.cur.Load()].WriteToUDPAddrPort(buf[:n], r.server)
		}
	}
}

func (r *relay) forwardToClient(out *net.UDPConn) {
	buf := make([]byte, 1<<16)
	for {
		n, from, err := out.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		r.mu.Lock()
		client := r.client
		ok := err == nil && client.IsValid() && from == r.server
		if ok {
			r.toClient = append(r.toClient, bytes.Clone(buf[:n]))
		}
		r.mu.Unlock()
		if ok {
			r.front.WriteToUDPAddrPort(buf[:n], client)
		}
	}
}

// datagrams returns the datagrams relayed so far, in order.
func (r *relay) datagrams() (toServer, toClient [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.toServer), slices.Clone(r.toClient)
}
