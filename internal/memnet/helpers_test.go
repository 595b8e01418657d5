package memnet_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
	"github.com/pathdtls/pathdtls/platform"
)

// Every Conn of the network is a sock.Conn with its optional interfaces.
var (
	_ sock.Conn         = (*memnet.Conn)(nil)
	_ sock.Connected    = (*memnet.Conn)(nil)
	_ sock.ICMPListener = (*memnet.Conn)(nil)
	_ sock.BatchConn    = (*memnet.Conn)(nil)
)

// The addresses of the two hosts of most tests: documentation prefixes
// (RFC 5737, RFC 3849).
var (
	addrA4 = netip.MustParseAddr("192.0.2.1")
	addrB4 = netip.MustParseAddr("192.0.2.2")
	addrA6 = netip.MustParseAddr("2001:db8::1")
	addrB6 = netip.MustParseAddr("2001:db8::2")
	router = netip.MustParseAddr("192.0.2.254")
)

// pair is a network of two hosts, A and B, each with an IPv4 and an IPv6
// address.
type pair struct {
	n    *memnet.Network
	a, b *memnet.Host
}

// newPair builds a pair; cfgA and cfgB get their addresses filled in. The
// network is closed when the test ends.
func newPair(t *testing.T, cfgA, cfgB memnet.HostConfig) *pair {
	t.Helper()
	n := memnet.New()
	t.Cleanup(func() { n.Close() })
	cfgA.Addrs = []netip.Addr{addrA4, addrA6}
	cfgB.Addrs = []netip.Addr{addrB4, addrB6}
	a, err := n.AddHost(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AddHost(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{n: n, a: a, b: b}
}

// listen opens a socket on h at addr, with an ephemeral port.
func listen(t *testing.T, h *memnet.Host, addr netip.Addr) *memnet.Conn {
	t.Helper()
	c, err := h.Listen(netip.AddrPortFrom(addr, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mustSend sends b from c to `to` and fails the test on an error.
func mustSend(t *testing.T, c *memnet.Conn, b []byte, to netip.AddrPort) {
	t.Helper()
	if err := c.WriteTo(b, to); err != nil {
		t.Fatalf("WriteTo(%d bytes, %v): %v", len(b), to, err)
	}
}

// read reads one datagram from c, which must have one waiting.
func read(t *testing.T, c *memnet.Conn) ([]byte, netip.AddrPort) {
	t.Helper()
	got := make(chan []byte, 1)
	var from netip.AddrPort
	var err error
	go func() {
		b := make([]byte, 65536)
		var n int
		n, from, err = c.ReadFrom(b)
		got <- b[:n]
	}()
	select {
	case b := <-got:
		if err != nil {
			t.Fatalf("ReadFrom: %v", err)
		}
		return b, from
	case <-time.After(time.Hour):
		t.Fatal("ReadFrom: nothing to read")
	}
	return nil, netip.AddrPort{}
}

// readAt reads one datagram from c and returns it with the virtual time
// spent waiting for it.
func readAt(t *testing.T, c *memnet.Conn) ([]byte, time.Duration) {
	t.Helper()
	start := time.Now()
	b, _ := read(t, c)
	return b, time.Since(start)
}

// drain returns the entries of c's error queue.
func drain(t *testing.T, c *memnet.Conn) []platform.QueuedError {
	t.Helper()
	var qs []platform.QueuedError
	if err := c.DrainErrors(func(q platform.QueuedError) { qs = append(qs, q) }); err != nil {
		t.Fatalf("DrainErrors: %v", err)
	}
	return qs
}

// payload returns n bytes that tell their position.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// checkErrno checks that err is wrapped as package net wraps a system
// call's error, and is errno.
func checkErrno(t *testing.T, err error, op string, errno error) {
	t.Helper()
	var oe *net.OpError
	var se *os.SyscallError
	if !errors.As(err, &oe) || oe.Op != op || !errors.As(err, &se) || !errors.Is(err, errno) {
		t.Fatalf("error %v (%T): want a *net.OpError %q around an *os.SyscallError of %v", err, err, op, errno)
	}
}

// equalQuote reports whether q is the first n bytes of p.
func equalQuote(q, p []byte, n int) bool {
	return len(q) == n && bytes.Equal(q, p[:n])
}
