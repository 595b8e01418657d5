//go:build linux

package tests

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// The tests of "pmtu probe -dtls" (issue 5) run the pmtu command, built
// as users build it, in the client namespace of a netns topology against a
// DTLS server in the server namespace: the dtls command's server, which
// answers heartbeats; gnutls-serv --heartbeat; and openssl s_server, which
// does not. After the handshake the transport probes the path with padded
// heartbeat requests, so the tool finds the bottleneck to the byte through
// a black hole, without any ICMP.

// dtlsToolPort is the port of the servers: the one the tool uses when the
// target has none. Each topology is new, so nothing else holds it.
const dtlsToolPort = 4433

// dtlsToolTimeout is the tool's -timeout, its probe timer: long enough
// for any round trip between namespaces, short enough that a search
// through a black hole, where every size above the bottleneck is lost
// MAX_PROBES times, takes a few seconds rather than half a minute.
const dtlsToolTimeout = "250ms"

// dtlsToolPSK is the key of the dtls command's server, whose -psk accepts
// any identity.
var dtlsToolPSK = []byte("pmtu probe -dtls key")

func TestPMTUToolDTLS(t *testing.T) {
	testenv.MustRoot(t)
	bin, server := buildTool(t), buildDTLSCommand(t)
	cases := []struct {
		name      string
		mtus      []int
		blackHole bool
		args      []string
		want      int
	}{
		{name: "open", mtus: []int{1500, 1500}, want: 1500},
		{name: "icmp/1400", mtus: []int{1500, 1400}, want: 1400},
		{name: "blackhole/1400", mtus: []int{1500, 1400}, blackHole: true, want: 1400},
		{name: "blackhole/1400/default-timer", mtus: []int{1500, 1400}, blackHole: true, args: []string{"-timeout", "0"}, want: 1400},
		{name: "two-routers/blackhole/1350", mtus: []int{1500, 1420, 1350}, blackHole: true, want: 1350},
	}
	for _, c := range cases {
		for _, network := range []string{"udp4", "udp6"} {
			t.Run(c.name+"/"+network, func(t *testing.T) {
				t.Parallel()
				tp := netns.New(t, netns.Options{MTUs: c.mtus, BlackHole: c.blackHole})
				addr := tp.Server.West.Addr(network)
				startDTLSServerCommand(t, tp.Server, server, netip.AddrPortFrom(addr, dtlsToolPort), dtlsToolPSK)
				args := append([]string{familyFlag(network), "-timeout", dtlsToolTimeout}, c.args...)
				// No port: the tool's default is dtlsToolPort.
				args = append(args, "-psk", hex.EncodeToString(dtlsToolPSK), addr.String())
				r, res := runDTLSTool(t, tp.Client, bin, network, args...)
				checkDTLSTool(t, r, res, network, c.want)
				if wantICMP := !c.blackHole && c.want < 1500; res.ICMPSeen != wantICMP {
					t.Errorf("icmp_seen %v; want %v", res.ICMPSeen, wantICMP)
				}
			})
		}
	}
}

// checkDTLSTool checks a run of the tool that should have found the path
// MTU want over network, and logs its figures.
func checkDTLSTool(t *testing.T, r toolRun, res dtlsToolResult, network string, want int) {
	t.Helper()
	t.Logf("path MTU %d, DTLS payload %d (%s %s): %d probes (%d acknowledged, %d lost) in %.1f ms (%v with the process, %d datagrams sent)",
		res.PathMTU, res.MaxDTLSPayload, res.Version, res.CipherSuite, res.ProbeCount, res.ProbesAcked, res.ProbesLost,
		res.DurationMS, r.wall.Round(time.Millisecond), r.sent)
	if r.code != 0 || res.Error != "" || res.Mode != "dtls" {
		t.Fatalf("exit status %d, mode %q, error %q; want 0, dtls and none\nstderr: %s\nstdout: %s", r.code, res.Mode, res.Error, r.stderr, r.stdout)
	}
	hdr := 28
	if network == "udp6" {
		hdr = 48
	}
	if res.PathMTU != want || res.MaxUDPPayload != want-hdr {
		t.Errorf("path MTU %d, largest UDP payload %d; want %d and %d", res.PathMTU, res.MaxUDPPayload, want, want-hdr)
	}
	// A record header of 13 bytes and an AEAD's tag (DTLS 1.2), or a
	// unified header of 5, the inner content type and the tag (DTLS 1.3,
	// RFC 9147 §4).
	overhead := 13 + 16
	if res.Version == "DTLSv1.3" {
		overhead = 5 + 1 + 16
	}
	if res.MaxDTLSPayload <= 0 || res.MaxDTLSPayload > want-hdr-overhead {
		t.Errorf("largest DTLS payload %d; want at most %d", res.MaxDTLSPayload, want-hdr-overhead)
	}
	if res.ProbesAcked == 0 || res.ProbesAcked+res.ProbesLost > res.ProbeCount || int64(res.ProbeCount) > r.sent {
		t.Errorf("%d probes, %d acknowledged, %d lost, %d datagrams sent; want acknowledged probes among those sent",
			res.ProbeCount, res.ProbesAcked, res.ProbesLost, r.sent)
	}
	if res.ICMPRejected != 0 {
		t.Errorf("%d ICMP errors rejected; want none", res.ICMPRejected)
	}
}

// TestPMTUToolDTLSGnuTLS finds the path MTU through gnutls-serv
// --heartbeat, which answers heartbeat requests, behind a black hole.
// GnuTLS needs no --mtu here: it sends only small handshake datagrams with
// a PSK suite, and it answers heartbeat requests larger than its default
// datagram size of 1300 bytes (seen up to 1500).
func TestPMTUToolDTLSGnuTLS(t *testing.T) {
	testenv.MustRoot(t)
	testenv.LookPath(t, "gnutls-serv")
	bin := buildTool(t)
	const network = "udp4"
	tp := netns.New(t, netns.Options{MTUs: []int{1500, 1400}, BlackHole: true})
	addr := netip.AddrPortFrom(tp.Server.West.Addr(network), dtlsToolPort)
	opts := newInteropCase(t, peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", interopChains{}).peerOptions()
	opts.Addr, opts.Netns = addr, tp.Server.Name
	opts.Args = []string{"--heartbeat"}
	peer.GnuTLSServer(t, opts)
	r, res := runDTLSTool(t, tp.Client, bin, network, "-4", "-timeout", dtlsToolTimeout,
		"-psk", hex.EncodeToString(interopPSK.Key), "-psk_identity", interopPSK.Identity, addr.String())
	checkDTLSTool(t, r, res, network, 1400)
}

// TestPMTUToolDTLSOpenSSL runs the tool against openssl s_server, built
// without heartbeats: it must fail with a message that says why, and give
// the path MTU the handshake learned.
func TestPMTUToolDTLSOpenSSL(t *testing.T) {
	testenv.MustRoot(t)
	testenv.LookPath(t, "openssl")
	bin := buildTool(t)
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{MTUs: []int{1500, 1500}})
			addr := netip.AddrPortFrom(tp.Server.West.Addr(network), dtlsToolPort)
			opts := newInteropCase(t, peer.DTLS12, "TLS_PSK_WITH_AES_128_GCM_SHA256", interopChains{}).peerOptions()
			opts.Addr, opts.Netns = addr, tp.Server.Name
			peer.OpenSSLServer(t, opts)
			r, res := runDTLSTool(t, tp.Client, bin, network, familyFlag(network),
				"-psk", hex.EncodeToString(interopPSK.Key), "-psk_identity", interopPSK.Identity, addr.String())
			t.Logf("exit status %d after %v: %s", r.code, r.wall.Round(time.Millisecond), strings.TrimSpace(r.stderr))
			const want = "in-band probing is impossible with this server"
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "path MTU after the handshake is 1500") {
				t.Errorf("exit status %d, stderr %q; want 1, %q and the path MTU", r.code, r.stderr, want)
			}
			if res.Error == "" || res.PathMTU != 0 || res.ProbeCount != 0 || res.Version != "DTLSv1.2" {
				t.Errorf("%+v; want an error, no path MTU, no probes, and the version", res)
			}
		})
	}
}
