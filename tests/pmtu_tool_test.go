//go:build linux

package tests

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
)

// The tool tests of issue 4 run the pmtu command, built as users build it,
// inside the client namespace of a netns topology: a client, one or two real
// Linux routers and a server, with a bottleneck on the way to the server.
// The tool must find the bottleneck to the byte whether the routers send
// ICMP or drop it (a black hole), whether the host answers through its echo
// service or from a closed port, and through random loss; it must fail
// cleanly when the host cannot be reached. TestPMTUToolVersusTracepath puts
// its cost beside tracepath's.

// echoPort is where the tests run "pmtu echo": the RFC 862 echo port, which
// "pmtu probe -echo" uses by default.
const echoPort = 7

// toolCase is one path for the tool to measure.
type toolCase struct {
	name      string
	mtus      []int // netns.Options.MTUs
	blackHole bool
	loss      int  // netns.Options.LossPercent
	echo      bool // probe an echo service; else a closed port
	args      []string
	want      int // the path MTU
}

// toolCases covers each dimension of the issue without the whole product:
// bottleneck sizes, one and two routers, ICMP and black holes, echo and
// closed-port answers, the raw ICMP source, and loss.
var toolCases = []toolCase{
	{name: "unconstrained", mtus: []int{1500, 1500}, want: 1500},
	{name: "local-limit", mtus: []int{1500, 1500}, args: []string{"-max", "1600"}, want: 1500},
	{name: "icmp/closed/1280", mtus: []int{1500, 1280}, want: 1280},
	{name: "icmp/closed/1350", mtus: []int{1500, 1350}, want: 1350},
	{name: "icmp/echo/1420", mtus: []int{1500, 1420}, echo: true, want: 1420},
	{name: "icmp/closed/1492", mtus: []int{1500, 1492}, want: 1492},
	{name: "icmp/raw/1420", mtus: []int{1500, 1420}, args: []string{"-icmp", "raw"}, want: 1420},
	{name: "icmp-ignored/echo/1350", mtus: []int{1500, 1350}, echo: true, args: []string{"-icmp", "none"}, want: 1350},
	{name: "blackhole/echo/1280", mtus: []int{1500, 1280}, blackHole: true, echo: true, want: 1280},
	{name: "blackhole/closed/1350", mtus: []int{1500, 1350}, blackHole: true, want: 1350},
	{name: "blackhole/echo/1420", mtus: []int{1500, 1420}, blackHole: true, echo: true, want: 1420},
	{name: "blackhole/closed/1492", mtus: []int{1500, 1492}, blackHole: true, want: 1492},
	{name: "two-routers/icmp/closed", mtus: []int{1500, 1400, 1280}, want: 1280},
	{name: "two-routers/icmp/echo", mtus: []int{1500, 1400, 1350}, echo: true, want: 1350},
	{name: "two-routers/blackhole/closed", mtus: []int{1500, 1400, 1280}, blackHole: true, want: 1280},
	{name: "two-routers/blackhole/echo", mtus: []int{1500, 1420, 1350}, blackHole: true, echo: true, want: 1350},
	// With the default -probes 3, a size that fits is taken as too big when
	// 10% loss drops it three times in a row: about once in a thousand per
	// size, which would make the test flaky. -probes 5 makes that 1e-5.
	{name: "loss10/icmp/closed", mtus: []int{1500, 1400}, loss: 10, args: []string{"-probes", "5"}, want: 1400},
	{name: "loss10/blackhole/closed", mtus: []int{1500, 1400}, loss: 10, blackHole: true, args: []string{"-probes", "5"}, want: 1400},
	{name: "loss10/blackhole/echo", mtus: []int{1500, 1420, 1350}, loss: 10, blackHole: true, echo: true, args: []string{"-probes", "5"}, want: 1350},
}

func TestPMTUTool(t *testing.T) {
	testenv.MustRoot(t)
	bin := buildTool(t)
	for _, c := range toolCases {
		for _, network := range []string{"udp4", "udp6"} {
			t.Run(c.name+"/"+network, func(t *testing.T) {
				t.Parallel()
				testTool(t, bin, c, network)
			})
		}
	}
}

// testTool measures one path with the tool and checks the result.
func testTool(t *testing.T, bin string, c toolCase, network string) {
	tp := netns.New(t, netns.Options{MTUs: c.mtus, BlackHole: c.blackHole, LossPercent: c.loss})
	server := tp.Server.West.Addr(network)
	args := append([]string{familyFlag(network)}, c.args...)
	target := server.String()
	if c.echo {
		startEcho(t, tp.Server, bin, netip.AddrPortFrom(server, echoPort))
		args = append(args, "-echo")
	}
	if server.Is6() {
		target = "[" + target + "]"
	}
	r := runTool(t, tp.Client, bin, network, append(args, target)...)
	t.Logf("path MTU %d in %d probes, %.1f ms (%v with the process): %s",
		r.res.PathMTU, r.res.ProbeCount, r.res.DurationMS, r.wall.Round(time.Millisecond), &r.res)
	if r.code != 0 || r.res.Error != "" {
		t.Fatalf("exit status %d, error %q; want 0 and none\nstderr: %s\nstdout: %s", r.code, r.res.Error, r.stderr, r.stdout)
	}
	hdr := 28
	if network == "udp6" {
		hdr = 48
	}
	if r.res.PathMTU != c.want || r.res.MaxUDPPayload != c.want-hdr {
		t.Errorf("path MTU %d, largest UDP payload %d; want %d and %d", r.res.PathMTU, r.res.MaxUDPPayload, c.want, c.want-hdr)
	}
	ignored := strings.Contains(strings.Join(c.args, " "), "-icmp none")
	if wantICMP := !c.blackHole && !ignored && c.want < 1500; r.res.ICMPSeen != wantICMP {
		t.Errorf("icmp_seen %v; want %v", r.res.ICMPSeen, wantICMP)
	}
	if r.res.ICMPRejected != 0 {
		t.Errorf("%d ICMP errors rejected; want none", r.res.ICMPRejected)
	}
	listed := 0
	for _, p := range r.res.Probes {
		if p.Result != "refused" { // by the local host: never sent
			listed++
		}
	}
	if int64(r.res.ProbeCount) != r.sent || listed != r.res.ProbeCount {
		t.Errorf("probe_count %d and %d probes sent listed; the client sent %d datagrams", r.res.ProbeCount, listed, r.sent)
	}
	if c.loss > 0 {
		t.Logf("the router dropped %d datagrams", tp.Counters(t).Lost)
	}
}

// familyFlag returns the tool's flag for network: -4 or -6.
func familyFlag(network string) string {
	if network == "udp6" {
		return "-6"
	}
	return "-4"
}

func TestPMTUToolUnreachable(t *testing.T) {
	testenv.MustRoot(t)
	bin := buildTool(t)
	cases := []struct {
		name      string
		blackHole bool
		host      func(tp *netns.Topology, network string) string
		args      []string
		want      string // in the message on standard error
	}{{
		// The client has no route to a documentation address.
		name: "no-route",
		host: func(_ *netns.Topology, network string) string {
			if network == "udp6" {
				return "2001:db8::1"
			}
			return "203.0.113.1"
		},
		want: "unreachable",
	}, {
		// The router cannot resolve the address on the server's link and
		// says so once its neighbour discovery gives up, after about 3s.
		name: "host-unreachable",
		host: absentHost,
		args: []string{"-timeout", "2s"},
		want: "unreachable: ICMP",
	}, {
		// The same through a black hole: nothing ever comes back.
		name:      "silent",
		blackHole: true,
		host:      absentHost,
		args:      []string{"-timeout", "100ms"},
		want:      "no answer to any probe",
	}}
	for _, c := range cases {
		for _, network := range []string{"udp4", "udp6"} {
			t.Run(c.name+"/"+network, func(t *testing.T) {
				t.Parallel()
				tp := netns.New(t, netns.Options{BlackHole: c.blackHole})
				args := append([]string{familyFlag(network)}, c.args...)
				r := runTool(t, tp.Client, bin, network, append(args, c.host(tp, network))...)
				t.Logf("exit status %d after %v: %s", r.code, r.wall.Round(time.Millisecond), strings.TrimSpace(r.stderr))
				if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
					t.Errorf("exit status %d, stderr %q; want 1 and one line containing %q", r.code, r.stderr, c.want)
				}
				if r.res.PathMTU != 0 {
					t.Errorf("path_mtu %d; want 0", r.res.PathMTU)
				}
			})
		}
	}
}

// absentHost returns an address on the server's link that nobody has.
func absentHost(tp *netns.Topology, network string) string {
	a := tp.Server.West.Addr(network).As16()
	a[15] = 0x99
	addr := netip.AddrFrom16(a)
	if network == "udp4" {
		addr = addr.Unmap()
	}
	return addr.String()
}

// tracepathResume matches tracepath's last line.
var tracepathResume = regexp.MustCompile(`Resume: pmtu (\d+)(?: hops (\d+) back (\d+))?`)

// versusCase is one path on which the tool and tracepath are compared.
type versusCase struct {
	name      string
	mtus      []int
	blackHole bool
	want      int
}

func TestPMTUToolVersusTracepath(t *testing.T) {
	testenv.MustRoot(t)
	tracepath := testenv.LookPath(t, "tracepath")
	bin := buildTool(t)
	cases := []versusCase{
		{name: "icmp/1400", mtus: []int{1500, 1400}, want: 1400},
		{name: "icmp/1400-1280", mtus: []int{1500, 1400, 1280}, want: 1280},
		{name: "blackhole/1400", mtus: []int{1500, 1400}, blackHole: true, want: 1400},
	}
	for _, c := range cases {
		for _, network := range []string{"udp4", "udp6"} {
			t.Run(c.name+"/"+network, func(t *testing.T) {
				t.Parallel()
				testVersus(t, bin, tracepath, c, network)
			})
		}
	}
}

// testVersus runs the tool, in both modes, and tracepath on fresh copies
// of one topology, so that no run inherits a path MTU that the client's
// kernel cached during another, and logs what each found and what it cost.
func testVersus(t *testing.T, bin, tracepath string, c versusCase, network string) {
	opts := netns.Options{MTUs: c.mtus, BlackHole: c.blackHole}
	for _, echo := range []bool{false, true} {
		tp := netns.New(t, opts)
		server := tp.Server.West.Addr(network)
		args := []string{familyFlag(network)}
		mode := "closed port"
		if echo {
			startEcho(t, tp.Server, bin, netip.AddrPortFrom(server, echoPort))
			args, mode = append(args, "-echo"), "echo"
		}
		r := runTool(t, tp.Client, bin, network, append(args, server.String())...)
		t.Logf("pmtu probe (%s): path MTU %d, %d probes, %.1f ms (%v with the process): %s",
			mode, r.res.PathMTU, r.res.ProbeCount, r.res.DurationMS, r.wall.Round(time.Millisecond), &r.res)
		if r.code != 0 || r.res.PathMTU != c.want {
			t.Errorf("pmtu probe (%s): exit status %d, path MTU %d; want 0 and %d\nstderr: %s", mode, r.code, r.res.PathMTU, c.want, r.stderr)
		}
	}

	tp := netns.New(t, opts)
	server := tp.Server.West.Addr(network)
	hops := len(c.mtus) + 1 // one more hop than there are, to see the end
	cmd := tp.Client.Command(tracepath, "-n", familyFlag(network), "-m", strconv.Itoa(hops), server.String())
	before := udpOut(t, tp.Client, network)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	sent := udpOut(t, tp.Client, network) - before
	found := "none"
	if m := tracepathResume.FindStringSubmatch(string(out)); m != nil {
		found = m[1]
	}
	t.Logf("tracepath -m %d: pmtu %s, %d probes, %v (exit: %v)\n%s", hops, found, sent, wall.Round(time.Millisecond), err, out)
}
