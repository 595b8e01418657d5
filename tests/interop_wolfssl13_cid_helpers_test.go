package tests

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// cidRelay forwards UDP datagrams between a server and one client, the
// first to send it one, and keeps every datagram of both directions. It
// sends to the server from one of two ports: the first until rebind, the
// second from then on, as a NAT whose binding expired does. What the
// server sends to either port goes back to the client.
type cidRelay struct {
	front  *net.UDPConn    // faces the client
	outs   [2]*net.UDPConn // face the server
	server netip.AddrPort
	cur    atomic.Int32 // the index in outs of the port in use
	wg     sync.WaitGroup

	mu                 sync.Mutex
	client             netip.AddrPort
	toServer, toClient [][]byte
}

// newCIDRelay starts a relay to server, on 127.0.0.1; the client sends to
// its addr.
func newCIDRelay(t *testing.T, server netip.AddrPort) *cidRelay {
	t.Helper()
	r := &cidRelay{server: server}
	conns := []**net.UDPConn{&r.front, &r.outs[0], &r.outs[1]}
	for _, c := range conns {
		var err error
		if *c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, c := range conns {
			(*c).Close()
		}
		r.wg.Wait()
	})
	r.wg.Go(r.forwardToServer)
	for _, out := range r.outs {
		r.wg.Go(func() { r.forwardToClient(out) })
	}
	return r
}

func (r *cidRelay) addr() netip.AddrPort { return r.front.LocalAddr().(*net.UDPAddr).AddrPort() }

// port returns the address the server sees the client at: that of outs[i].
func (r *cidRelay) port(i int) netip.AddrPort { return r.outs[i].LocalAddr().(*net.UDPAddr).AddrPort() }

// rebind makes the relay send the client's datagrams from its second port.
func (r *cidRelay) rebind() { r.cur.Store(1) }

func (r *cidRelay) forwardToServer() {
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

func (r *cidRelay) forwardToClient(out *net.UDPConn) {
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
func (r *cidRelay) datagrams() (toServer, toClient [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.toServer), slices.Clone(r.toClient)
}

// checkCIDs checks the connection IDs in the records of the application
// data epoch (3) that the relay saw: each record to the server must carry
// serverID, each to the client clientID, and none at all when the ID is
// empty (RFC 9147, Section 4: the C bit of the unified header). At least
// one such record must have gone each way.
func (r *cidRelay) checkCIDs(t *testing.T, serverID, clientID []byte) {
	t.Helper()
	toServer, toClient := r.datagrams()
	for _, dir := range []struct {
		name      string
		datagrams [][]byte
		id        []byte
	}{{"to the server", toServer, serverID}, {"to the client", toClient, clientID}} {
		n := 0
		for i, d := range dir.datagrams {
			recs, ok := parseUnifiedRecords(d, len(dir.id))
			if !ok {
				t.Errorf("datagram %d %s does not parse with %d-byte IDs: %x", i, dir.name, len(dir.id), d)
				continue
			}
			for _, rec := range recs {
				if rec.epochBits != 3 {
					continue
				}
				n++
				if !bytes.Equal(rec.cid, dir.id) || (rec.cid == nil) != (len(dir.id) == 0) {
					t.Errorf("a record %s in epoch 3 carries ID %x (present %v), want %x", dir.name, rec.cid, rec.cid != nil, dir.id)
				}
			}
		}
		if n == 0 {
			t.Errorf("no record went %s in epoch 3", dir.name)
		}
	}
}

// unifiedRecord is what checkCIDs reads of a DTLSCiphertext record: the
// low two bits of its epoch and its connection ID, nil if the C bit is
// clear.
type unifiedRecord struct {
	epochBits uint8
	cid       []byte
}

// parseUnifiedRecords reads the records of datagram d (RFC 9147, Section
// 4): DTLSPlaintext records, which it skips, and DTLSCiphertext records
// with a unified header, whose ID, when the C bit is set, is cidLen bytes
// long. A record without a length runs to the end of the datagram.
func parseUnifiedRecords(d []byte, cidLen int) ([]unifiedRecord, bool) {
	var recs []unifiedRecord
	s := cryptobyte.String(d)
	for !s.Empty() {
		var first uint8
		if !s.ReadUint8(&first) {
			return nil, false
		}
		if first&0xe0 != 0x20 { // DTLSPlaintext: version, epoch, sequence number, length
			var body cryptobyte.String
			if !s.Skip(2+2+6) || !s.ReadUint16LengthPrefixed(&body) {
				return nil, false
			}
			continue
		}
		rec := unifiedRecord{epochBits: first & 0x03}
		if first&0x10 != 0 { // C
			if cidLen == 0 || !s.ReadBytes(&rec.cid, cidLen) {
				return nil, false
			}
		}
		seqLen := 1
		if first&0x08 != 0 { // S
			seqLen = 2
		}
		if !s.Skip(seqLen) {
			return nil, false
		}
		if first&0x04 != 0 { // L
			var body cryptobyte.String
			if !s.ReadUint16LengthPrefixed(&body) {
				return nil, false
			}
		} else {
			s = nil
		}
		recs = append(recs, rec)
	}
	return recs, true
}

// printableCID returns a Generate function for ConnectionIDConfig: random
// IDs of n bytes, each at least 0x10, so that the wolfSSL programs print
// them unambiguously (see peer.WolfSSLCIDHex).
func printableCID(n int) func() ([]byte, error) {
	return func() ([]byte, error) {
		id := make([]byte, n)
		if _, err := rand.Read(id); err != nil {
			return nil, fmt.Errorf("connection ID: %w", err)
		}
		for i := range id {
			id[i] = 0x10 + id[i]%0xf0
		}
		return id, nil
	}
}
