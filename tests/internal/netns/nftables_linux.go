package netns

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// nftTable names the nftables tables, one for IPv4 and one for IPv6, that
// hold a router's impairments. They are two rather than one "inet" table
// because the dup statement takes an address of one family.
const nftTable = "pdtls"

// The named counters of each table.
const (
	counterLost        = "lost"
	counterDuplicated  = "duplicated"
	counterBlackHoled  = "blackholed"
	counterTooLong     = "toolong"
	counterDroppedOnce = "droppedonce"
)

// setDroppedOnce names the set of each table that remembers the server
// address whose datagram Options.DropOnce dropped.
const setDroppedOnce = "droppedonce"

// icmpErrors lists, per family, the ICMP error types a black hole drops.
var icmpErrors = map[string]string{
	"ip":  "icmp type { destination-unreachable, time-exceeded, parameter-problem }",
	"ip6": "icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem }",
}

// Counters counts what the routers' impairments did, summed over the
// routers and over IPv4 and IPv6.
type Counters struct {
	// Lost is the number of forwarded UDP datagrams dropped by
	// Options.LossPercent.
	Lost uint64
	// Duplicated is the number of forwarded UDP datagrams sent twice by
	// Options.DupPercent.
	Duplicated uint64
	// BlackHoled is the number of ICMP errors the routers originated and
	// dropped for Options.BlackHole.
	BlackHoled uint64
	// TooLong is the number of UDP datagrams toward the client dropped
	// for Options.ToClientMTU.
	TooLong uint64
	// DroppedOnce is the number of UDP datagrams dropped for
	// Options.DropOnce: at most one per IP version.
	DroppedOnce uint64
}

// nftRules returns the nftables script that gives router ns the
// impairments of opts, those that only the first router applies only if
// first, or "" if it needs none.
func (ns *Namespace) nftRules(opts Options, first bool) string {
	if !opts.BlackHole && !(first && opts.firstImpaired()) {
		return ""
	}
	var b strings.Builder
	for _, family := range []string{"ip", "ip6"} {
		fmt.Fprintf(&b, "table %s %s {\n", family, nftTable)
		for _, c := range []string{counterLost, counterDuplicated, counterBlackHoled, counterTooLong, counterDroppedOnce} {
			fmt.Fprintf(&b, "\tcounter %s {}\n", c)
		}
		if first && len(opts.DropOnce) > 0 {
			addrType := map[string]string{"ip": "ipv4_addr", "ip6": "ipv6_addr"}[family]
			fmt.Fprintf(&b, "\tset %s { type %s; flags dynamic; }\n", setDroppedOnce, addrType)
		}
		b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
		if first {
			ns.firstRules(&b, family, opts)
		}
		b.WriteString("\t}\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n")
		if opts.BlackHole {
			fmt.Fprintf(&b, "\t\t%s counter name %q drop\n", icmpErrors[family], counterBlackHoled)
		}
		b.WriteString("\t}\n}\n")
	}
	return b.String()
}

// firstRules writes to b the forward-chain rules of family for the
// impairments of opts that only the first router, ns, applies.
func (ns *Namespace) firstRules(b *strings.Builder, family string, opts Options) {
	if opts.LossPercent > 0 {
		fmt.Fprintf(b, "\t\tmeta l4proto udp %scounter name %q drop\n",
			chance(opts.LossPercent), counterLost)
	}
	if opts.DupPercent > 0 {
		// dup sends the copy to the next hop through the interface the
		// original leaves by.
		west, east := linkAddr4(ns.index-1, 1), linkAddr4(ns.index, 2)
		if family == "ip6" {
			west, east = linkAddr6(ns.index-1, 1), linkAddr6(ns.index, 2)
		}
		for _, hop := range []struct{ dev, addr string }{{"west", west.String()}, {"east", east.String()}} {
			fmt.Fprintf(b, "\t\tmeta l4proto udp oifname %q %scounter name %q dup to %s device %q\n",
				hop.dev, chance(opts.DupPercent), counterDuplicated, hop.addr, hop.dev)
		}
	}
	if len(opts.DropOnce) > 0 {
		// The server's address joins the set as its datagram is dropped,
		// so that no later one matches.
		server := linkAddr4(len(opts.MTUs)-1, 2)
		if family == "ip6" {
			server = linkAddr6(len(opts.MTUs)-1, 2)
		}
		fmt.Fprintf(b, "\t\t%s saddr %s %s saddr != @%s meta l4proto udp @th,64,%d 0x%x add @%s { %s saddr } counter name %q drop\n",
			family, server, family, setDroppedOnce, 8*len(opts.DropOnce), opts.DropOnce, setDroppedOnce, family, counterDroppedOnce)
	}
	if opts.ToClientMTU > 0 {
		// At the forward hook, a packet's length is that of the IP packet.
		fmt.Fprintf(b, "\t\toifname \"west\" meta l4proto udp meta length > %d counter name %q drop\n",
			opts.ToClientMTU, counterTooLong)
	}
}

// chance returns an nftables match that holds for a random percent of the
// packets, with 0 < percent ≤ 100.
func chance(percent int) string {
	if percent >= 100 {
		return "" // numgen's range is 0 to 99: always less than 100
	}
	return fmt.Sprintf("numgen random mod 100 < %d ", percent)
}

// nftLoad loads the nftables script rules into ns.
func (tp *Topology) nftLoad(t testing.TB, ns *Namespace, rules string) {
	t.Helper()
	if out, err := command(tp.ip, rules, "netns", "exec", ns.Name, tp.nft, "-f", "-"); err != nil {
		t.Fatalf("netns: loading nftables rules into %s: %v\n%s%s", ns.Name, err, rules, out)
	}
}

// Counters returns the counts of the routers' impairments so far. It fails
// t if they cannot be read.
func (tp *Topology) Counters(t testing.TB) Counters {
	t.Helper()
	var c Counters
	if tp.nft == "" {
		return c
	}
	for _, r := range tp.Routers {
		out, err := command(tp.ip, "", "netns", "exec", r.Name, tp.nft, "--json", "list", "counters")
		if err != nil {
			t.Fatalf("netns: reading the nftables counters of %s: %v\n%s", r.Name, err, out)
		}
		if err := addCounters(&c, out); err != nil {
			t.Fatalf("netns: reading the nftables counters of %s: %v\n%s", r.Name, err, out)
		}
	}
	return c
}

// addCounters adds to c the packet counts of this package's counters in
// the JSON output of "nft --json list counters".
func addCounters(c *Counters, out []byte) error {
	var list struct {
		Nftables []struct {
			Counter *struct {
				Name    string `json:"name"`
				Table   string `json:"table"`
				Packets uint64 `json:"packets"`
			} `json:"counter"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return err
	}
	for _, obj := range list.Nftables {
		if obj.Counter == nil || obj.Counter.Table != nftTable {
			continue
		}
		switch obj.Counter.Name {
		case counterLost:
			c.Lost += obj.Counter.Packets
		case counterDuplicated:
			c.Duplicated += obj.Counter.Packets
		case counterBlackHoled:
			c.BlackHoled += obj.Counter.Packets
		case counterTooLong:
			c.TooLong += obj.Counter.Packets
		case counterDroppedOnce:
			c.DroppedOnce += obj.Counter.Packets
		}
	}
	return nil
}

// natTable names the nftables table of RewriteClientPort.
const natTable = "pdtlsnat"

// RewriteClientPort makes the first router rewrite, in both directions,
// the UDP port of client, an IPv4 address and port of the client
// namespace, to port: the server sees the client's datagrams come from
// that port, and the router takes the server's datagrams to it back to
// the client's own, as a NAT does. Called again, it replaces the port, as
// a NAT whose binding expired gives the client a new one mid-stream; port
// equal to client's own port ends the rewriting. The rules are stateless
// (the router tracks no connection), so the change applies from the next
// datagram on. It fails t if the rules cannot be loaded.
func (tp *Topology) RewriteClientPort(t testing.TB, client netip.AddrPort, port uint16) {
	t.Helper()
	if tp.nft == "" {
		tp.nft = testenv.LookPath(t, "nft")
	}
	c, p := client.Addr(), client.Port()
	rules := fmt.Sprintf(`table ip %[1]s
delete table ip %[1]s
table ip %[1]s {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		ip saddr %[2]s udp sport %[3]d notrack udp sport set %[4]d
		ip daddr %[2]s udp dport %[4]d notrack udp dport set %[3]d
	}
}
`, natTable, c, p, port)
	if port == p {
		rules = fmt.Sprintf("table ip %[1]s\ndelete table ip %[1]s\n", natTable)
	}
	tp.nftLoad(t, tp.Routers[0], rules)
}
