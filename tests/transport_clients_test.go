//go:build linux

package tests

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The tests in this file run many clients against one listener (issue 8,
// items 2 and 4). They time handshakes and load both cores, so they do not
// run in parallel with the other tests of the package.

// shortLivedClients is the number of clients of
// TestTransportShortLivedClients, and shortLivedBound the time no
// handshake may reach: far below the 1 s of a retransmission timer, far
// above a handshake between namespaces with the race detector on.
const (
	shortLivedClients = 300
	shortLivedBound   = 500 * time.Millisecond
)

// TestTransportShortLivedClients connects 300 clients one after another;
// each dials, has one record echoed and closes, so its port is closed
// when the server's last datagrams to it arrive (the close_notify of the
// echo loop, a probe). The client namespace answers each with an ICMP port
// unreachable, without the kernel's rate limit, and each becomes a pending
// error on the listener's socket that the next send meets, often the
// HelloVerifyRequest to the next client. That send must be drained and
// retried, so that no client waits for a retransmission timer: the test
// reports the slowest handshake and fails if any took 500 ms or more. The
// twin of TestDepartedClientsDoNotStallHandshakes in transport.
func TestTransportShortLivedClients(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			testShortLivedClients(t, network)
		})
	}
}

func testShortLivedClients(t *testing.T, network string) {
	tp := netns.New(t, netns.Options{})
	for _, s := range [][2]string{
		{"net.ipv4.icmp_ratelimit", "0"},
		{"net.ipv6.icmp.ratelimit", "0"},
		{"net.ipv4.icmp_msgs_per_sec", "100000"},
		{"net.ipv4.icmp_msgs_burst", "100000"},
	} {
		tp.Client.Sysctl(t, s[0], s[1])
	}
	cc, sc := pskConfigs()
	l := listenIn(t, tp.Server, transport.ListenConfig{}, network, sc)
	serveEcho(t, l)
	before := tp.Server.Stats(t)
	took := make(durations, 0, shortLivedClients)
	start := time.Now()
	for i := range shortLivedClients {
		c, d, err := dialIn(tp.Client, transport.Dialer{}, l, cc)
		if err != nil {
			t.Fatalf("client %d: %v; listener %+v", i, err, l.Stats())
		}
		took = append(took, d)
		err = echoOnce(c, []byte("ping"))
		c.Close()
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	elapsed := time.Since(start)
	after := tp.Server.Stats(t)
	unreachables := after["IcmpInDestUnreachs"] - before["IcmpInDestUnreachs"] +
		after["Icmp6InDestUnreachs"] - before["Icmp6InDestUnreachs"]
	st := l.Stats()
	slowest, i := took.max()
	t.Logf("%d clients in %v (%.0f handshakes/s with the echo and the close); handshakes: %s, the slowest client %d's; "+
		"%d ICMP destination unreachables reached the server; listener %+v",
		shortLivedClients, elapsed.Round(time.Millisecond), float64(shortLivedClients)/elapsed.Seconds(), took, i,
		unreachables, st)
	if slowest >= shortLivedBound {
		t.Errorf("client %d's handshake took %v; want every one below %v", i, slowest, shortLivedBound)
	}
	if st.NotSent != 0 || st.Accepted != shortLivedClients {
		t.Errorf("listener %+v; want no send failed and %d associations accepted", st, shortLivedClients)
	}
	// Without port unreachables the test would not test anything.
	if unreachables == 0 {
		t.Errorf("no ICMP destination unreachable reached the server's namespace; the departed clients were never written to")
	}
}

// manyClients is the number of clients of TestTransportManyClientsAtOnce,
// each of which has manyEchoes records of manyRecordSize bytes echoed.
const (
	manyClients    = 100
	manyEchoes     = 5
	manyRecordSize = 1000
)

// TestTransportManyClientsAtOnce starts 100 clients together, with an
// ECDSA certificate; each has 5 records of 1000 bytes echoed, and every
// echo must come back: neither the handshakes' nor the probes of 100 new
// associations may crowd out their data (issue 8, item 4). The twin of
// TestManyClientsAtOnce in transport.
func TestTransportManyClientsAtOnce(t *testing.T) {
	tp := netns.New(t, netns.Options{})
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})
	cc, sc := certConfigs(chain, chain.Certificate)
	l := listenIn(t, tp.Server, transport.ListenConfig{}, "udp4", sc)
	serveEcho(t, l)
	var retransmitted, dropped atomic.Uint64
	errs := make(chan error, manyClients)
	start := time.Now()
	for i := range manyClients {
		go func() {
			s, err := echoMany(tp.Client, l, cc)
			retransmitted.Add(s.Retransmissions)
			dropped.Add(s.DroppedData)
			if err != nil {
				err = fmt.Errorf("client %d: %w", i, err)
			}
			errs <- err
		}()
	}
	failed := 0
	for range manyClients {
		if err := <-errs; err != nil {
			failed++
			t.Error(err)
		}
	}
	elapsed := time.Since(start)
	server, client := tp.Server.Stats(t), tp.Client.Stats(t)
	t.Logf("%d clients at once, %d echoes of %d bytes each: %d failed, in %v; the clients retransmitted %d flights and dropped %d records unread; "+
		"UDP receive buffer errors: server %d, clients %d; listener %+v",
		manyClients, manyEchoes, manyRecordSize, failed, elapsed.Round(time.Millisecond), retransmitted.Load(), dropped.Load(),
		server["UdpRcvbufErrors"], client["UdpRcvbufErrors"], l.Stats())
}

// echoMany dials l from ns and has manyEchoes records echoed, and returns
// the client's counters.
func echoMany(ns *netns.Namespace, l *transport.Listener, cc *dtls.Config) (dtls.Stats, error) {
	c, _, err := dialIn(ns, transport.Dialer{}, l, cc)
	if err != nil {
		return dtls.Stats{}, err
	}
	defer c.Close()
	for i := range manyEchoes {
		if err := echoOnce(c, bytes.Repeat([]byte{byte(i)}, manyRecordSize)); err != nil {
			return c.Stats(), fmt.Errorf("echo %d: %w", i, err)
		}
	}
	return c.Stats(), nil
}
