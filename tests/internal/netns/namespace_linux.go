package netns

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Namespace is one network namespace of a [Topology].
type Namespace struct {
	// Name is the namespace's name, as "ip netns list" shows it.
	Name string
	// West is the interface toward the client; nil in the client.
	West *Interface
	// East is the interface toward the server; nil in the server.
	East *Interface

	index int    // position from the west: 0 for the client
	ip    string // the path of the ip command
}

// Interface is one end of a link of a [Topology].
type Interface struct {
	// Name is the interface's name in its namespace: "west" or "east".
	Name string
	// IPv4 is the interface's IPv4 address, in a /24.
	IPv4 netip.Addr
	// IPv6 is the interface's IPv6 address, in a /64.
	IPv6 netip.Addr
}

// Addr returns the interface's address for network, a network name of the
// net package: its IPv6 address if the name ends in "6", not counting a
// protocol after a colon, as "udp6" and "ip6:ipv6-icmp" do, and its IPv4
// address otherwise.
func (i *Interface) Addr(network string) netip.Addr {
	network, _, _ = strings.Cut(network, ":")
	if strings.HasSuffix(network, "6") {
		return i.IPv6
	}
	return i.IPv4
}

// Do calls f on the calling goroutine's thread with the thread in ns, and
// moves the thread back when f returns, even through [runtime.Goexit]. The
// goroutines f starts do not run in ns. Sockets f creates stay in ns and
// can be used from anywhere. Do returns f's error, or an error if the
// thread could not enter ns; if the thread could not go back, it is locked
// to the goroutine and ends with it, so that nothing else runs in ns by
// accident.
func (ns *Namespace) Do(f func() error) error {
	runtime.LockOSThread()
	home, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("dtls: netns: %w", err)
	}
	defer home.Close()
	target, err := os.Open(filepath.Join("/run/netns", ns.Name))
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("dtls: netns: %w", err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("dtls: netns: entering %s: %w", ns.Name, err)
	}
	defer func() {
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return f()
}

// Run calls f inside ns as [Namespace.Do] does, and fails t if the thread
// cannot enter ns. f may call t.Fatal when Run is called from the test's
// goroutine.
func (ns *Namespace) Run(t testing.TB, f func()) {
	t.Helper()
	if err := ns.Do(func() error { f(); return nil }); err != nil {
		t.Fatal(err)
	}
}

// Command returns a command that runs the program name with args inside
// ns, through "ip netns exec".
func (ns *Namespace) Command(name string, args ...string) *exec.Cmd {
	return exec.Command(ns.ip, append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Stats returns the namespace's IP, ICMP and UDP counters from
// /proc/net/snmp and /proc/net/snmp6, named as nstat names them:
// "IpReasmOKs" and "Ip6ReasmOKs" count the datagrams that were reassembled
// from fragments, "IcmpInDestUnreachs" and "Icmp6InPktTooBigs" the ICMP
// errors received, "UdpInDatagrams" and "Udp6InDatagrams" the datagrams
// delivered. It fails t if the counters cannot be read.
func (ns *Namespace) Stats(t testing.TB) map[string]int64 {
	t.Helper()
	var snmp, snmp6 []byte
	err := ns.Do(func() error {
		var err error
		if snmp, err = os.ReadFile("/proc/thread-self/net/snmp"); err != nil {
			return err
		}
		snmp6, err = os.ReadFile("/proc/thread-self/net/snmp6")
		return err
	})
	if err != nil {
		t.Fatalf("netns: reading the counters of %s: %v", ns.Name, err)
	}
	stats := make(map[string]int64)
	if err := parseSNMP(stats, snmp); err != nil {
		t.Fatalf("netns: %s: /proc/net/snmp: %v", ns.Name, err)
	}
	if err := parseSNMP6(stats, snmp6); err != nil {
		t.Fatalf("netns: %s: /proc/net/snmp6: %v", ns.Name, err)
	}
	return stats
}

// parseSNMP adds the counters of /proc/net/snmp to stats. Each protocol
// there has two lines, "Proto: Name1 Name2 ..." and "Proto: value1 value2
// ...".
func parseSNMP(stats map[string]int64, b []byte) error {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines)%2 != 0 {
		return fmt.Errorf("odd number of lines: %d", len(lines))
	}
	for i := 0; i < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) != len(values) || len(names) == 0 || names[0] != values[0] {
			return fmt.Errorf("mismatched lines %q and %q", lines[i], lines[i+1])
		}
		proto := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			v, err := strconv.ParseInt(values[j], 10, 64)
			if err != nil {
				return err
			}
			stats[proto+names[j]] = v
		}
	}
	return nil
}

// parseSNMP6 adds the counters of /proc/net/snmp6, "Name value" a line, to
// stats.
func parseSNMP6(stats map[string]int64, b []byte) error {
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) != 2 {
			return fmt.Errorf("malformed line %q", line)
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return err
		}
		stats[f[0]] = v
	}
	return nil
}

// CachedMTU returns the path MTU that ns has learned for dst, as "ip route
// get" shows it, or 0 if ns has not learned one and uses the route's
// interface MTU. It fails t if ns has no route to dst.
func (ns *Namespace) CachedMTU(t testing.TB, dst netip.Addr) int {
	t.Helper()
	out, err := command(ns.ip, "", "-n", ns.Name, "-o", "route", "get", dst.String())
	if err != nil {
		t.Fatalf("netns: ip -n %s route get %s: %v\n%s", ns.Name, dst, err, out)
	}
	mtu, err := parseRouteMTU(string(out))
	if err != nil {
		t.Fatalf("netns: ip -n %s route get %s: %v\n%s", ns.Name, dst, err, out)
	}
	return mtu
}

// parseRouteMTU returns the number after "mtu" (or "mtu lock") in the
// output of "ip route get", or 0 if there is none.
func parseRouteMTU(out string) (int, error) {
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] != "mtu" {
			continue
		}
		v := f[i+1]
		if v == "lock" && i+2 < len(f) {
			v = f[i+2]
		}
		mtu, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("mtu %q: %w", v, err)
		}
		return mtu, nil
	}
	return 0, nil
}

// setSysctls turns IPv6 duplicate address detection off in ns and, for a
// router, turns forwarding on and ICMP rate limits off.
func (ns *Namespace) setSysctls(router bool) error {
	settings := [][2]string{
		{"net.ipv6.conf.all.accept_dad", "0"},
		{"net.ipv6.conf.default.accept_dad", "0"},
	}
	if router {
		settings = append(settings,
			[2]string{"net.ipv4.ip_forward", "1"},
			[2]string{"net.ipv6.conf.all.forwarding", "1"},
			[2]string{"net.ipv4.icmp_ratelimit", "0"},
			[2]string{"net.ipv6.icmp.ratelimit", "0"},
			// The limit on all ICMP errors together, which frag-needed and
			// Packet Too Big are exempt from but other errors are not.
			[2]string{"net.ipv4.icmp_msgs_per_sec", "100000"},
			[2]string{"net.ipv4.icmp_msgs_burst", "100000"},
		)
	}
	return ns.Do(func() error {
		for _, s := range settings {
			if err := ns.sysctl(s[0], s[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Sysctl sets the kernel parameter name, such as
// "net.ipv4.icmp_ratelimit", to value in ns, as "sysctl -w" would there.
// It fails t if it cannot.
func (ns *Namespace) Sysctl(t testing.TB, name, value string) {
	t.Helper()
	if err := ns.Do(func() error { return ns.sysctl(name, value) }); err != nil {
		t.Fatal(err)
	}
}

// sysctl sets the kernel parameter name to value; the calling thread must
// be in ns.
func (ns *Namespace) sysctl(name, value string) error {
	path := "/proc/sys/" + strings.ReplaceAll(name, ".", "/")
	if err := writeFile(path, value); err != nil {
		return fmt.Errorf("dtls: netns: %s: sysctl %s=%s: %w", ns.Name, name, value, err)
	}
	return nil
}

// config returns the ip batch script that brings ns's interfaces up with
// their addresses and routes ns to every link of a topology of nlinks
// links.
func (ns *Namespace) config(nlinks int) string {
	var b strings.Builder
	b.WriteString("link set lo up\n")
	for _, i := range []*Interface{ns.West, ns.East} {
		if i == nil {
			continue
		}
		fmt.Fprintf(&b, "link set %s up\n", i.Name)
		fmt.Fprintf(&b, "address add %s/24 dev %s\n", i.IPv4, i.Name)
		fmt.Fprintf(&b, "address add %s/64 dev %s nodad\n", i.IPv6, i.Name)
	}
	k := ns.index
	for j := range nlinks {
		var hop int // the link the next hop is on
		switch {
		case j < k-1:
			hop = k - 1
		case j > k:
			hop = k
		default:
			continue // one of ours: the kernel added its route
		}
		via4, via6 := linkAddr4(hop, 2), linkAddr6(hop, 2)
		if hop < k {
			via4, via6 = linkAddr4(hop, 1), linkAddr6(hop, 1)
		}
		fmt.Fprintf(&b, "route add %s via %s\n", netip.PrefixFrom(linkAddr4(j, 0), 24), via4)
		fmt.Fprintf(&b, "route add %s via %s\n", netip.PrefixFrom(linkAddr6(j, 0), 64), via6)
	}
	return b.String()
}

// writeFile writes s to the existing file at path.
func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// command runs the program at path with args, writing stdin to its
// standard input, and returns its combined output.
func command(path, stdin string, args ...string) ([]byte, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}
