package main

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestSplitTarget(t *testing.T) {
	tests := []struct {
		in, host, port string
		err            bool
	}{
		{in: "example.com", host: "example.com"},
		{in: "example.com:53", host: "example.com", port: "53"},
		{in: "198.18.1.2", host: "198.18.1.2"},
		{in: "198.18.1.2:7", host: "198.18.1.2", port: "7"},
		{in: "fd8a::2", host: "fd8a::2"},
		{in: "[fd8a::2]", host: "fd8a::2"},
		{in: "[fd8a::2]:echo", host: "fd8a::2", port: "echo"},
		{in: "fe80::1%eth0", host: "fe80::1%eth0"},
		{in: "", err: true},
		{in: ":53", err: true},
		{in: "[]", err: true},
		{in: "example.com:", err: true},
		{in: "[fd8a::2]:", err: true},
		{in: "[fd8a::2", err: true},
	}
	for _, tt := range tests {
		host, port, err := splitTarget(tt.in)
		if (err != nil) != tt.err || err == nil && (host != tt.host || port != tt.port) {
			t.Errorf("splitTarget(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, host, port, err, tt.host, tt.port, tt.err)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		network, host, port string
		echo                bool
		want                string // "" for an error
	}{
		{network: "ip", host: "198.18.1.2", want: "198.18.1.2:33434"},
		{network: "ip", host: "198.18.1.2", echo: true, want: "198.18.1.2:7"},
		{network: "ip4", host: "198.18.1.2", port: "4433", want: "198.18.1.2:4433"},
		{network: "ip6", host: "fd8a::2", port: "4433", want: "[fd8a::2]:4433"},
		{network: "ip", host: "::ffff:198.18.1.2", want: "198.18.1.2:33434"},
		{network: "ip6", host: "198.18.1.2"},
		{network: "ip4", host: "fd8a::2"},
		{network: "ip", host: "198.18.1.2", port: "0"},
		{network: "ip", host: "198.18.1.2", port: "70000"},
	}
	for _, tt := range tests {
		defaultPort := defaultClosedPort
		if tt.echo {
			defaultPort = defaultEchoPort
		}
		got, err := resolve(context.Background(), tt.network, tt.host, tt.port, defaultPort)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("resolve(%s, %s, %q) = %v; want an error", tt.network, tt.host, tt.port, got)
		case tt.want != "" && (err != nil || got != netip.MustParseAddrPort(tt.want)):
			t.Errorf("resolve(%s, %s, %q) = %v, %v; want %s", tt.network, tt.host, tt.port, got, err, tt.want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	ok := probeOptions{source: sourceAuto, deadline: defaultDeadline, probes: 3}
	tests := []struct {
		name   string
		modify func(*probeOptions)
		err    string // "" for none
	}{
		{name: "defaults", modify: func(*probeOptions) {}},
		{name: "both families", modify: func(o *probeOptions) { o.ipv4, o.ipv6 = true, true }, err: "exclude"},
		{name: "min above max", modify: func(o *probeOptions) { o.min, o.max = 1400, 1300 }, err: "above"},
		{name: "negative", modify: func(o *probeOptions) { o.min = -1 }, err: "negative"},
		{name: "no probes", modify: func(o *probeOptions) { o.probes = 0 }, err: "-probes"},
		{name: "no deadline", modify: func(o *probeOptions) { o.deadline = 0 }, err: "-deadline"},
		{name: "unknown source", modify: func(o *probeOptions) { o.source = "pcap" }, err: "-icmp"},
		{name: "no icmp, closed port", modify: func(o *probeOptions) { o.source = sourceNone }, err: "-echo"},
		{name: "no icmp, echo", modify: func(o *probeOptions) { o.source, o.echo = sourceNone, true }},
		// Sizes within the bounds of package pmtu: IPv4's until the
		// address is known, IPv6's with -6.
		{name: "min below IPv4", modify: func(o *probeOptions) { o.min = 10 }, err: "-min 10 is below 68, the smallest MTU an IPv4 link may have"},
		{name: "min at IPv4's", modify: func(o *probeOptions) { o.min = 68 }},
		{name: "max below IPv4", modify: func(o *probeOptions) { o.max = 67 }, err: "-max 67 is below 68"},
		{name: "max above 65535", modify: func(o *probeOptions) { o.max = 65536 }, err: "-max 65536 is above 65535, the largest IP packet"},
		{name: "min above 65535", modify: func(o *probeOptions) { o.min = 70000 }, err: "-min 70000 is above 65535"},
		{name: "max below default min", modify: func(o *probeOptions) { o.max = 500 }, err: "-max 500 is below 576, the default -min for IPv4: give a -min too"},
		{name: "max with its min", modify: func(o *probeOptions) { o.min, o.max = 400, 500 }},
		{name: "max below dtls floor", modify: func(o *probeOptions) { o.tls.enabled, o.max = true, 500 }, err: "-max 500 is below 576, the smallest path MTU the transport considers for IPv4"},
		{name: "min below IPv6", modify: func(o *probeOptions) { o.ipv6, o.min = true, 576 }, err: "-min 576 is below 1280, the smallest MTU an IPv6 link may have"},
		{name: "max below IPv6", modify: func(o *probeOptions) { o.ipv6, o.max = true, 1000 }, err: "-max 1000 is below 1280"},
		{name: "IPv6 sizes", modify: func(o *probeOptions) { o.ipv6, o.min, o.max = true, 1280, 9000 }},
	}
	for _, tt := range tests {
		o := ok
		tt.modify(&o)
		err := o.check()
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: check() = %v; want an error containing %q", tt.name, err, tt.err)
		}
	}
}

// TestCheckFamily checks the sizes against the family of the address once
// it is known: a usage error, which IPv4's bounds did not catch.
func TestCheckFamily(t *testing.T) {
	o := probeOptions{min: 576}
	if err := o.checkFamily(netip.MustParseAddr("198.18.1.2")); err != nil {
		t.Errorf("-min 576 to an IPv4 address: %v", err)
	}
	for _, a := range []string{"2001:db8::1", "fe80::1%eth0"} {
		err := o.checkFamily(netip.MustParseAddr(a))
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), "-min 576 is below 1280") {
			t.Errorf("-min 576 to %s: %v; want a usage error about IPv6's 1280", a, err)
		}
	}
	if err := o.checkFamily(netip.MustParseAddr("::ffff:198.18.1.2")); err != nil {
		t.Errorf("-min 576 to an IPv4-mapped address: %v", err)
	}
}
