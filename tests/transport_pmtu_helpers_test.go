//go:build linux

package tests

import (
	"crypto/tls"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// pmtuWait bounds every handshake and wait of the transport PMTU tests. It
// is reached only when something is broken.
const pmtuWait = 20 * time.Second

// timerTrace counts the lines of a dtls trace that report a retransmission
// driven by the timer, and keeps every line for the log.
type timerTrace struct {
	mu     sync.Mutex
	lines  []string
	timers int
}

func (tr *timerTrace) add(msg string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, msg)
	if strings.Contains(msg, "retransmitting (timeout") {
		tr.timers++
	}
}

func (tr *timerTrace) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.timers
}

func (tr *timerTrace) log(t *testing.T, who string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, l := range tr.lines {
		t.Logf("%s: %s", who, l)
	}
}

// pmtuPair is a DTLS association across a topology: our client in its
// client namespace, our server in its server namespace, both presenting
// the large chain, so that either side has a flight of several kilobytes.
type pmtuPair struct {
	client, server     *transport.Conn
	clientTr, serverTr *timerTrace
	elapsed            time.Duration // the client's Dial
}

// pmtuConfigs returns the client's and the server's configuration: both
// present chain and verify the other's.
func pmtuConfigs(chain *peer.Chain) (client, server *dtls.Config, ctr, str *timerTrace) {
	ctr, str = new(timerTrace), new(timerTrace)
	certs := []tls.Certificate{chain.Certificate}
	client = &dtls.Config{Certificates: certs, RootCAs: chain.Roots, ServerName: "localhost", Trace: ctr.add}
	server = &dtls.Config{Certificates: certs, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: chain.Roots, Trace: str.add}
	return client, server, ctr, str
}

// connectPMTU listens in tp's server namespace, dials from its client
// namespace, and returns both ends once both handshakes are done. Both
// are closed when the test ends.
func connectPMTU(t *testing.T, tp *netns.Topology, network string, chain *peer.Chain) *pmtuPair {
	t.Helper()
	return connectWith(t, tp, network, chain, transport.Dialer{}, transport.ListenConfig{})
}

// reasmReqds returns the number of IP fragments ns has received for
// reassembly, IPv4 and IPv6 together.
func reasmReqds(t *testing.T, ns *netns.Namespace) int64 {
	t.Helper()
	s := ns.Stats(t)
	return s["IpReasmReqds"] + s["Ip6ReasmReqds"]
}

// sendFull writes a datagram of from's MaxPayload to to and checks that it
// arrives whole.
func sendFull(t *testing.T, from, to *transport.Conn) {
	t.Helper()
	msg := make([]byte, from.MaxPayload())
	for i := range msg {
		msg[i] = byte(i)
	}
	if _, err := from.Write(msg); err != nil {
		t.Fatalf("Write(%d bytes): %v", len(msg), err)
	}
	buf := make([]byte, 1<<16)
	if err := to.SetReadDeadline(time.Now().Add(pmtuWait)); err != nil {
		t.Fatal(err)
	}
	n, err := to.Read(buf)
	if err != nil || n != len(msg) {
		t.Fatalf("Read = %d, %v; want the %d bytes written", n, err, len(msg))
	}
}
