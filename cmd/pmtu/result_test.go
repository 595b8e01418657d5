package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/pmtu"
)

// icmpSearch runs the search of TestProberICMPTrace, in virtual time.
func icmpSearch(t *testing.T, progress progressFunc) *result {
	t.Helper()
	path := withICMP(newFakePath(pmtu.IPv4, 1400))
	p, took, err := runFake(t, path, 1500, func(p *prober) { p.progress = progress })
	if err != nil {
		t.Fatal(err)
	}
	r := p.result(p.start.Add(took), nil)
	r.Target, r.Address, r.Mode, r.ICMPSource = "host", "198.18.1.2:33434", "closed-port", "errqueue"
	return r
}

func TestResultJSON(t *testing.T) {
	r := icmpSearch(t, nil)
	var b bytes.Buffer
	if err := r.writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{"target":"host","address":"198.18.1.2:33434","mode":"closed-port","icmp_source":"errqueue",` +
		`"path_mtu":1400,"max_udp_payload":1372,"probe_count":3,"duration_ms":2.5,"probes_acked":2,"probes_lost":1,"icmp_seen":true,"icmp_rejected":0,` +
		`"probes":[{"seq":1,"size":1200,"at_ms":0,"result":"reached","rtt_ms":1},` +
		`{"seq":2,"size":1500,"at_ms":1,"result":"too-big","hint":1400,"from":"192.0.2.1"},` +
		`{"seq":3,"size":1400,"at_ms":1.5,"result":"reached","rtt_ms":1}]}` + "\n"
	if got := b.String(); got != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", got, want)
	}
}

func TestResultSummary(t *testing.T) {
	r := icmpSearch(t, nil)
	want := "198.18.1.2:33434: path MTU 1400, largest UDP payload 1372; 3 probes in 2.5ms; ICMP seen: ICMP fragmentation needed (MTU 1400) from 192.0.2.1"
	if got := r.summary(); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}

	path := withLoss(newFakePath(pmtu.IPv4, 1500), func(uint32) bool { return true })
	p, took, err := runFake(t, path, 1500, nil)
	r = p.result(p.start.Add(took), err)
	r.Address = "198.18.1.2:33434"
	want = "198.18.1.2:33434: " + errNoAnswer.Error() + " (6 probes in 6s)"
	if got := r.summary(); !errors.Is(err, errNoAnswer) || got != want || r.PathMTU != 0 || r.MaxUDPPayload != 0 {
		t.Errorf("summary after %v:\n%s\nwant:\n%s\nand path MTU 0, not %d", err, got, want, r.PathMTU)
	}
}

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	g := &progress{w: &b, live: true, verbose: true}
	icmpSearch(t, g.update)
	g.clear()
	out := b.String()
	for _, want := range []string{
		"probe 1: 1200 bytes: reached the host (1ms)\n",
		"probe 2: 1500 bytes: too big: next-hop MTU 1400 from 192.0.2.1\n",
		"probe 3: 1400 bytes: reached the host (1ms)\n",
		"probe 3, 1400 bytes: sent; 1200 gets through",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, clearLine) {
		t.Errorf("progress output %q does not end by clearing the line", out)
	}
}

func TestRoundDuration(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.234567ms", "1.235ms"},
		{"312.456789ms", "312.5ms"},
		{"3.2104s", "3.21s"},
	}
	for _, tt := range tests {
		if got := roundDuration(mustDuration(t, tt.in)).String(); got != tt.want {
			t.Errorf("roundDuration(%s) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

// TestResultDTLS checks what mode "dtls" adds: the version, the suite and
// what carried the probes, in the summary and in the JSON object, where
// the fields of every mode keep their names.
func TestResultDTLS(t *testing.T) {
	tests := []struct {
		version, suite, method string
		summary, json          string
	}{
		{"DTLSv1.3", "TLS_AES_128_GCM_SHA256", probeKeyUpdate,
			"(DTLSv1.3, TLS_AES_128_GCM_SHA256); 9 probes by KeyUpdate (DTLS 1.3) in 1.5s (3 acknowledged, 6 lost); no ICMP too-big seen",
			`"version":"DTLSv1.3","cipher_suite":"TLS_AES_128_GCM_SHA256","probe_method":"keyupdate","probe_count":9,`},
		{"DTLSv1.2", "TLS_PSK_WITH_AES_128_GCM_SHA256", probeHeartbeat,
			"(DTLSv1.2, TLS_PSK_WITH_AES_128_GCM_SHA256); 9 probes by heartbeat in 1.5s (3 acknowledged, 6 lost); no ICMP too-big seen",
			`"version":"DTLSv1.2","cipher_suite":"TLS_PSK_WITH_AES_128_GCM_SHA256","probe_method":"heartbeat","probe_count":9,`},
	}
	for _, tt := range tests {
		r := &result{
			Target: "host", Address: "198.18.1.2:4433", Mode: modeDTLS, ICMPSource: sourceErrQueue,
			PathMTU: 1400, MaxUDPPayload: 1372, MaxDTLSPayload: 1350, Version: tt.version, CipherSuite: tt.suite,
			ProbeMethod: tt.method, ProbeCount: 9, ProbesAcked: 3, ProbesLost: 6, Probes: []probeJSON{},
			duration: 1500 * time.Millisecond,
		}
		want := "198.18.1.2:4433: path MTU 1400, largest UDP payload 1372, largest DTLS payload 1350 " + tt.summary
		if got := r.summary(); got != want {
			t.Errorf("summary:\n%s\nwant:\n%s", got, want)
		}
		var b bytes.Buffer
		if err := r.writeJSON(&b); err != nil {
			t.Fatal(err)
		}
		prefix := `{"target":"host","address":"198.18.1.2:4433","mode":"dtls","icmp_source":"errqueue","path_mtu":1400,"max_udp_payload":1372,"max_dtls_payload":1350,`
		if got := b.String(); !strings.HasPrefix(got, prefix+tt.json) {
			t.Errorf("JSON:\n%s\nwant it to start:\n%s", got, prefix+tt.json)
		}
	}
}
