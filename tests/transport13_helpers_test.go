//go:build linux

package tests

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// pinVersion returns a configuration change for connectWith that holds
// both ends to version v.
func pinVersion(v uint16) func(client, server *dtls.Config) {
	return func(client, server *dtls.Config) {
		client.MinVersion, client.MaxVersion = v, v
		server.MinVersion, server.MaxVersion = v, v
	}
}

// noClientAuth is a configuration change for connectWith that makes the
// server ask for no client certificate: a server flight crossing the
// bottleneck needs none.
func noClientAuth(_, server *dtls.Config) {
	server.ClientAuth = tls.NoClientCert
	server.ClientCAs = nil
}

// versionName names a DTLS version for test names and logs.
func versionName(v uint16) string {
	switch v {
	case dtls.VersionDTLS12:
		return "1.2"
	case dtls.VersionDTLS13:
		return "1.3"
	}
	return "?"
}

// checkVersion fails t unless both ends of p negotiated v.
func checkVersion(t *testing.T, p *pmtuPair, v uint16) {
	t.Helper()
	if c, s := p.client.ConnectionState().Version, p.server.ConnectionState().Version; c != v || s != v {
		t.Fatalf("versions %#x (client), %#x (server); want %#x", c, s, v)
	}
}

// fragCounters are the kernel's fragmentation counters of every namespace
// of a topology, IPv4 and IPv6 summed.
type fragCounters struct {
	// reasm counts the fragments each end host received for reassembly.
	reasm [2]int64
	// creates counts the fragments every namespace made, hosts and
	// routers together: a socket with DF set never has its datagrams
	// fragmented, and a router does not fragment a packet with DF set.
	creates int64
	// fails counts the packets the routers could not forward whole and
	// did not fragment: with DF set, each one that ran into the narrow
	// link, and for which the router sent (or, in a black hole, dropped)
	// an ICMP error.
	fails int64
}

// readFragCounters reads the fragmentation counters of tp.
func readFragCounters(t *testing.T, tp *netns.Topology) fragCounters {
	t.Helper()
	var f fragCounters
	all := append([]*netns.Namespace{tp.Client, tp.Server}, tp.Routers...)
	for i, ns := range all {
		s := ns.Stats(t)
		if i < 2 {
			f.reasm[i] = s["IpReasmReqds"] + s["Ip6ReasmReqds"]
		} else {
			f.fails += s["IpFragFails"] + s["Ip6FragFails"]
		}
		f.creates += s["IpFragCreates"] + s["Ip6FragCreates"]
	}
	return f
}

// checkNoFragments fails t if any IP fragment was made or received in tp
// since before, and logs how many datagrams the routers refused whole.
func checkNoFragments(t *testing.T, tp *netns.Topology, before fragCounters) (refused int64) {
	t.Helper()
	after := readFragCounters(t, tp)
	for i, who := range []string{"client", "server"} {
		if n := after.reasm[i] - before.reasm[i]; n != 0 {
			t.Errorf("the %s received %d IP fragments", who, n)
		}
	}
	if n := after.creates - before.creates; n != 0 {
		t.Errorf("the namespaces made %d IP fragments", n)
	}
	return after.fails - before.fails
}

// matching returns the number of lines of tr that contain substr.
func (tr *timerTrace) matching(substr string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, l := range tr.lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// median returns the median of ds, which it sorts.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
