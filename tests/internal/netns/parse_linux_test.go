package netns

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

func TestParseRouteMTU(t *testing.T) {
	tests := []struct {
		out  string
		want int
	}{
		// Outputs of "ip -o route get" from iproute2 6.1 on Linux 6.18.
		{"198.18.1.2 via 198.18.0.2 dev east src 198.18.0.1 uid 0 \\    cache ", 0},
		{"198.18.1.2 via 198.18.0.2 dev east src 198.18.0.1 uid 0 \\    cache expires 598sec mtu 1280 ", 1280},
		{"198.18.1.2 via 198.18.0.2 dev east src 198.18.0.1 uid 0 \\    cache expires 598sec mtu lock 552 ", 552},
		{"fd8a:5d2e:93b1:1::2 from :: via fd8a:5d2e:93b1::2 dev east src fd8a:5d2e:93b1::1 metric 1024 pref medium", 0},
		{"fd8a:5d2e:93b1:1::2 from :: via fd8a:5d2e:93b1::2 dev east src fd8a:5d2e:93b1::1 metric 1024 expires 597sec mtu 1280 pref medium", 1280},
		{"", 0},
		{"mtu", 0},
	}
	for _, tt := range tests {
		got, err := parseRouteMTU(tt.out)
		if err != nil || got != tt.want {
			t.Errorf("parseRouteMTU(%q) = %d, %v; want %d", tt.out, got, err, tt.want)
		}
	}
	for _, bad := range []string{"x mtu y", "mtu lock", "mtu lock -"} {
		if got, err := parseRouteMTU(bad); err == nil {
			t.Errorf("parseRouteMTU(%q) = %d, nil; want an error", bad, got)
		}
	}
}

func TestParseSNMP(t *testing.T) {
	const snmp = `Ip: Forwarding DefaultTTL InReceives ReasmReqds ReasmOKs
Ip: 2 64 17 4 2
Tcp: RtoAlgorithm MaxConn
Tcp: 1 -1
Udp: InDatagrams
Udp: 9
`
	const snmp6 = "Ip6InReceives                   	5\nIp6ReasmOKs                     	1\n"
	stats := make(map[string]int64)
	if err := parseSNMP(stats, []byte(snmp)); err != nil {
		t.Fatal(err)
	}
	if err := parseSNMP6(stats, []byte(snmp6)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"IpForwarding": 2, "IpDefaultTTL": 64, "IpInReceives": 17, "IpReasmReqds": 4, "IpReasmOKs": 2,
		"TcpRtoAlgorithm": 1, "TcpMaxConn": -1, "UdpInDatagrams": 9,
		"Ip6InReceives": 5, "Ip6ReasmOKs": 1,
	}
	if !maps.Equal(stats, want) {
		t.Errorf("got %v; want %v", stats, want)
	}
	for _, bad := range []string{"Ip: A B\n", "Ip: A B\nIp: 1\n", "Ip: A\nUdp: 1\n", "Ip: A\nIp: x\n"} {
		if err := parseSNMP(make(map[string]int64), []byte(bad)); err == nil {
			t.Errorf("parseSNMP(%q): no error", bad)
		}
	}
	for _, bad := range []string{"Ip6InReceives\n", "Ip6InReceives 1 2\n", "Ip6InReceives x\n"} {
		if err := parseSNMP6(make(map[string]int64), []byte(bad)); err == nil {
			t.Errorf("parseSNMP6(%q): no error", bad)
		}
	}
}

func TestAddCounters(t *testing.T) {
	// The output of "nft --json list counters" from nftables 1.0.6, with a
	// counter of another table, which does not count.
	const out = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
{"counter": {"family": "ip", "name": "lost", "table": "pdtls", "handle": 3, "packets": 57, "bytes": 2052}},
{"counter": {"family": "ip", "name": "duplicated", "table": "pdtls", "handle": 4, "packets": 3, "bytes": 108}},
{"counter": {"family": "ip", "name": "blackholed", "table": "pdtls", "handle": 5, "packets": 1, "bytes": 576}},
{"counter": {"family": "ip6", "name": "lost", "table": "pdtls", "handle": 3, "packets": 2, "bytes": 72}},
{"counter": {"family": "ip", "name": "toolong", "table": "pdtls", "handle": 6, "packets": 4, "bytes": 6000}},
{"counter": {"family": "ip6", "name": "droppedonce", "table": "pdtls", "handle": 7, "packets": 1, "bytes": 100}},
{"counter": {"family": "ip6", "name": "lost", "table": "other", "handle": 3, "packets": 100, "bytes": 100}}]}`
	var c Counters
	if err := addCounters(&c, []byte(out)); err != nil {
		t.Fatal(err)
	}
	if want := (Counters{Lost: 59, Duplicated: 3, BlackHoled: 1, TooLong: 4, DroppedOnce: 1}); c != want {
		t.Errorf("got %+v; want %+v", c, want)
	}
	if err := addCounters(&c, []byte("table ip pdtls {")); err == nil {
		t.Error("no error for output that is not JSON")
	}
}

func TestLinksReady(t *testing.T) {
	// The output of "ip -o link show" (iproute2 6.1) in a router.
	const (
		lo     = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
		up     = "2: west@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 56:d6:29:3a:0a:5e brd ff:ff:ff:ff:ff:ff link-netns pdtls-1-1-client\n"
		noop   = "3: east@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1280 qdisc noop state UP mode DEFAULT group default qlen 1000\\    link/ether 7e:f9:e6:17:54:8c brd ff:ff:ff:ff:ff:ff link-netns pdtls-1-1-server\n"
		down   = "3: east@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1280 qdisc noqueue state LOWERLAYERDOWN mode DEFAULT group default qlen 1000\\    link/ether 7e:f9:e6:17:54:8c brd ff:ff:ff:ff:ff:ff link-netns pdtls-1-1-server\n"
		eastUp = "3: east@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1280 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 7e:f9:e6:17:54:8c brd ff:ff:ff:ff:ff:ff link-netns pdtls-1-1-server\n"
		loNoop = "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
	)
	for _, tt := range []struct {
		name, out string
		want      bool
	}{
		{"all up", lo + up + eastUp, true},
		{"loopback alone", loNoop, true},
		{"qdisc not attached yet", lo + up + noop, false},
		{"no carrier", lo + down + up, false},
	} {
		if got := linksReady(tt.out); got != tt.want {
			t.Errorf("%s: linksReady = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestConfig(t *testing.T) {
	// The first router of three links: a route to link 2, through the
	// second router.
	r := &Namespace{index: 1,
		West: &Interface{Name: "west", IPv4: linkAddr4(0, 2), IPv6: linkAddr6(0, 2)},
		East: &Interface{Name: "east", IPv4: linkAddr4(1, 1), IPv6: linkAddr6(1, 1)},
	}
	want := `link set lo up
link set west up
address add 198.18.0.2/24 dev west
address add fd8a:5d2e:93b1::2/64 dev west nodad
link set east up
address add 198.18.1.1/24 dev east
address add fd8a:5d2e:93b1:1::1/64 dev east nodad
route add 198.18.2.0/24 via 198.18.1.2
route add fd8a:5d2e:93b1:2::/64 via fd8a:5d2e:93b1:1::2
`
	if got := r.config(3); got != want {
		t.Errorf("config:\n%s\nwant:\n%s", got, want)
	}
	// The server of the same topology: routes to links 0 and 1 through
	// the second router.
	s := &Namespace{index: 3, West: &Interface{Name: "west", IPv4: linkAddr4(2, 2), IPv6: linkAddr6(2, 2)}}
	got := s.config(3)
	for _, line := range []string{
		"route add 198.18.0.0/24 via 198.18.2.1\n",
		"route add fd8a:5d2e:93b1::/64 via fd8a:5d2e:93b1:2::1\n",
		"route add 198.18.1.0/24 via 198.18.2.1\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("server config lacks %q:\n%s", line, got)
		}
	}
}

func TestNFTRules(t *testing.T) {
	r := &Namespace{index: 1}
	tests := []struct {
		name   string
		opts   Options
		first  bool
		want   []string
		absent []string
	}{
		{"none", Options{}, true, nil, nil},
		{"impairments only on the first router", Options{LossPercent: 5}, false, nil, nil},
		{"black hole", Options{BlackHole: true}, false,
			[]string{"icmpv6 type { destination-unreachable, packet-too-big,", "icmp type { destination-unreachable,"},
			[]string{"numgen", "dup to"}},
		{"loss", Options{LossPercent: 5}, true,
			[]string{`meta l4proto udp numgen random mod 100 < 5 counter name "lost" drop`},
			[]string{"dup to", "icmp"}},
		{"certain loss", Options{LossPercent: 100}, true,
			[]string{`meta l4proto udp counter name "lost" drop`}, []string{"numgen"}},
		{"too long toward the client", Options{MTUs: []int{1500, 1500}, ToClientMTU: 1000}, true,
			[]string{`oifname "west" meta l4proto udp meta length > 1000 counter name "toolong" drop`},
			[]string{"numgen", "dup to", "icmp"}},
		{"drop once", Options{MTUs: []int{1500, 1500}, DropOnce: []byte{20}}, true,
			[]string{
				`ip saddr 198.18.1.2 ip saddr != @droppedonce meta l4proto udp @th,64,8 0x14 add @droppedonce { ip saddr } counter name "droppedonce" drop`,
				`ip6 saddr fd8a:5d2e:93b1:1::2 ip6 saddr != @droppedonce meta l4proto udp @th,64,8 0x14 add @droppedonce { ip6 saddr }`,
				`set droppedonce { type ipv4_addr; flags dynamic; }`,
				`set droppedonce { type ipv6_addr; flags dynamic; }`,
			},
			[]string{"numgen", "meta length"}},
		{"drop once only on the first router", Options{MTUs: []int{1500, 1500}, DropOnce: []byte{20}}, false, nil, nil},
		{"duplication", Options{DupPercent: 7}, true,
			[]string{
				`oifname "west" numgen random mod 100 < 7 counter name "duplicated" dup to 198.18.0.1 device "west"`,
				`oifname "east" numgen random mod 100 < 7 counter name "duplicated" dup to 198.18.1.2 device "east"`,
				`dup to fd8a:5d2e:93b1::1 device "west"`,
				`dup to fd8a:5d2e:93b1:1::2 device "east"`,
			},
			[]string{"drop\n", "set droppedonce"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.nftRules(tt.opts, tt.first)
			if tt.want == nil && got != "" {
				t.Fatalf("rules:\n%s\nwant none", got)
			}
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("rules lack %q:\n%s", s, got)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(got, s) {
					t.Errorf("rules contain %q:\n%s", s, got)
				}
			}
		})
	}
}

func TestDeleteStale(t *testing.T) {
	testenv.MustRoot(t)
	ip := testenv.LookPath(t, "ip")
	// A process that has exited: its ID is free until the kernel reuses it.
	cmd := exec.Command(ip, "-V")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("%s%d-1-client", namePrefix, cmd.Process.Pid)
	alive := fmt.Sprintf("%s%d-999999-client", namePrefix, os.Getpid())
	for _, name := range []string{dead, alive} {
		if out, err := command(ip, "", "netns", "add", name); err != nil {
			t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
		}
		t.Cleanup(func() { command(ip, "", "netns", "delete", name) })
	}
	(&Topology{ip: ip}).deleteStale(t)
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if slices.Contains(names, dead) {
		t.Errorf("the namespace %s of a dead process is still there", dead)
	}
	if !slices.Contains(names, alive) {
		t.Errorf("the namespace %s of this process was deleted", alive)
	}
}
