package tests

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// relay forwards UDP datagrams between a server and one client, the first
// to send it one, and keeps every datagram in each direction.
type relay struct {
	front, back *net.UDPConn // front faces the client, back the server
	wg          sync.WaitGroup

	mu                 sync.Mutex
	client             netip.AddrPort
	toServer, toClient [][]byte
}

// newRelay starts a relay to server on the same address family; the
// client sends to its addr.
func newRelay(t *testing.T, server netip.AddrPort) *relay {
	t.Helper()
	front, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(server.Addr(), 0)))
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		front.Close()
		t.Fatal(err)
	}
	r := &relay{front: front, back: back}
	r.wg.Add(2)
	go r.forwardToServer()
	go r.forwardToClient()
	t.Cleanup(func() {
		front.Close()
		back.Close()
		r.wg.Wait()
	})
	return r
}

func (r *relay) addr() netip.AddrPort { return r.front.LocalAddr().(*net.UDPAddr).AddrPort() }

// sizes returns the sizes of the datagrams relayed so far, in order.
func (r *relay) sizes() (toServer, toClient []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return lens(r.toServer), lens(r.toClient)
}

func lens(datagrams [][]byte) []int {
	n := make([]int, len(datagrams))
	for i, d := range datagrams {
		n[i] = len(d)
	}
	return n
}

func (r *relay) forwardToServer() {
	defer r.wg.Done()
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
			r.back.Write(buf[:n])
		}
	}
}

func (r *relay) forwardToClient() {
	defer r.wg.Done()
	buf := make([]byte, 1<<16)
	for {
		n, err := r.back.Read(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		r.mu.Lock()
		client := r.client
		ok := err == nil && client.IsValid()
		if ok {
			r.toClient = append(r.toClient, bytes.Clone(buf[:n]))
		}
		r.mu.Unlock()
		if ok {
			r.front.WriteToUDPAddrPort(buf[:n], client)
		}
	}
}
