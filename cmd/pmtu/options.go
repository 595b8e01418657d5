package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/pathdtls/pathdtls/pmtu"
)

// Default ports: the first port traceroute and tracepath probe, where
// nothing listens, and the echo port of RFC 862.
const (
	defaultClosedPort = 33434
	defaultEchoPort   = 7
)

// defaultDeadline bounds a whole search unless -deadline says otherwise.
const defaultDeadline = time.Minute

const probeUsage = `Usage: pmtu probe [flags] HOST[:PORT]

Finds the path MTU to HOST with UDP probes that have the Don't Fragment bit
set. A probe that reaches HOST is known by its answer: an ICMP port
unreachable from a closed port (PORT defaults to 33434), or, with -echo, a
reply from a UDP echo service (RFC 862; PORT defaults to 7; "pmtu echo" is
one). Either answer counts in either mode, but hosts rate-limit their ICMP
errors, so probing a closed port is paced and slower. A router's ICMP
"fragmentation needed" or "Packet Too Big" is a hint that a probe of the
size it names then confirms; a probe without an answer is lost, so the
search also works where routers send no ICMP at all.

With -dtls, HOST runs a DTLS server on PORT (default 4433): after a
handshake, the transport probes the path in-band (RFC 8899 section 6.2)
and the server's answers show which sizes arrive, so no ICMP is needed.
DTLS 1.3 and 1.2 are offered, 1.3 preferred; -dtls1_3, -dtls1_2 or -dtls1
asks for one version only. In DTLS 1.3 (RFC 9147) a probe is a KeyUpdate
padded to the size under test, which every server acknowledges; in DTLS
1.2 and 1.0 it is a padded heartbeat request (RFC 6520), which the server
must accept. -timeout is how long a probe may go unanswered (default 1s),
and -v traces the handshake and every probe. The result adds the
version, what carried the probes and the largest DTLS application
payload. A port where nothing listens, whose host answers with an ICMP
port unreachable, ends the search within 2s.

Sizes are IP packet sizes, headers included: the largest UDP payload is
the path MTU less 28 bytes for IPv4 and 48 for IPv6.

Flags:
`

// probeOptions are the flags of the probe command.
type probeOptions struct {
	ipv4, ipv6 bool
	echo       bool
	min, max   int
	probes     int
	timeout    time.Duration
	deadline   time.Duration
	json       bool
	verbose    bool
	source     string // -icmp
	tls        dtlsOptions
}

// register defines the flags on fs.
func (o *probeOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.ipv4, "4", false, "use IPv4 only")
	fs.BoolVar(&o.ipv6, "6", false, "use IPv6 only")
	fs.BoolVar(&o.echo, "echo", false, "HOST runs a UDP echo service on PORT: its replies show which probes arrived")
	fs.IntVar(&o.min, "min", 0, "smallest path MTU to consider, in `BYTES`: at least 68 for IPv4 and 1280 for IPv6; default: 576 for IPv4, 1280 for IPv6")
	fs.IntVar(&o.max, "max", 0, "largest path MTU to consider, in `BYTES`, at most 65535; default: the MTU of the route to HOST")
	fs.IntVar(&o.probes, "probes", pmtu.DefaultMaxProbes, "take a size as too big after `N` probes of it are lost (MAX_PROBES of RFC 8899); raise it on a lossy path")
	fs.DurationVar(&o.timeout, "timeout", 0, "how long to wait for the answer to a probe; 0: 1s until the first answer, then three times the longest of the last three round trips (at least 50ms, at most 3s)")
	fs.DurationVar(&o.deadline, "deadline", defaultDeadline, "give up after this long in all")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object on standard output")
	fs.BoolVar(&o.verbose, "v", false, "print one line on standard error for each probe")
	o.tls.register(fs)
	fs.StringVar(&o.source, "icmp", "auto", "where ICMP errors are read: `SOURCE` errqueue (the socket's error queue, Linux), raw (a raw ICMP socket, needs privilege), none (ignore ICMP, which needs -echo), or auto (errqueue where there is one, else raw)")
}

// check reports a usage error in the flags.
func (o *probeOptions) check() error {
	switch {
	case o.ipv4 && o.ipv6:
		return errors.New("-4 and -6 exclude each other")
	case o.min < 0 || o.max < 0:
		return errors.New("-min and -max must not be negative")
	case o.probes < 1:
		return errors.New("-probes must be at least 1")
	case o.max != 0 && o.min > o.max:
		return fmt.Errorf("-min %d is above -max %d", o.min, o.max)
	case o.timeout < 0 || o.deadline <= 0:
		return errors.New("-timeout must not be negative, and -deadline must be positive")
	}
	// The family's own bounds wait for the address, unless -6 tells it:
	// IPv4's are the laxer.
	f := pmtu.IPv4
	if o.ipv6 {
		f = pmtu.IPv6
	}
	if err := o.checkSizes(f); err != nil {
		return err
	}
	if err := o.tls.check(); err != nil {
		return err
	}
	if o.tls.enabled {
		return o.checkDTLS()
	}
	switch o.source {
	case sourceAuto, sourceErrQueue, sourceRaw:
	case sourceNone:
		if !o.echo {
			return errors.New("-icmp none needs -echo: without ICMP only an echo service shows that a probe arrived")
		}
	default:
		return fmt.Errorf("-icmp %q: want auto, errqueue, raw or none", o.source)
	}
	return nil
}

// maxPacket is the largest IP packet, and so the largest path MTU: the
// bound of IPv4's 16-bit total length, which package pmtu applies to both
// families.
const maxPacket = 65535

// checkSizes reports a -min or -max that no path of family f can have, by
// the bounds of package pmtu: no link carries less than f.MinMTU() (RFC
// 791, RFC 8200 section 5), and no packet is larger than maxPacket. A -max
// below the smallest size the search considers by default, f.Floor(),
// would be raised to it without -min (and -dtls has no -min).
func (o *probeOptions) checkSizes(f pmtu.Family) error {
	for _, s := range []struct {
		name string
		mtu  int
	}{{"-min", o.min}, {"-max", o.max}} {
		switch {
		case s.mtu == 0: // the default
		case s.mtu < int(f.MinMTU()):
			return fmt.Errorf("%s %d is below %d, the smallest MTU an %v link may have", s.name, s.mtu, f.MinMTU(), f)
		case s.mtu > maxPacket:
			return fmt.Errorf("%s %d is above %d, the largest IP packet", s.name, s.mtu, maxPacket)
		}
	}
	if o.max != 0 && o.min == 0 && o.max < int(f.Floor()) {
		if o.tls.enabled {
			return fmt.Errorf("-max %d is below %d, the smallest path MTU the transport considers for %v", o.max, f.Floor(), f)
		}
		return fmt.Errorf("-max %d is below %d, the default -min for %v: give a -min too", o.max, f.Floor(), f)
	}
	return nil
}

// A usageError is a usage error found once the address to probe is known.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// checkFamily reports, as a usageError, a -min or -max that no path to
// addr can have.
func (o *probeOptions) checkFamily(addr netip.Addr) error {
	if err := o.checkSizes(pmtu.FamilyOf(addr.Unmap())); err != nil {
		return usageError{err}
	}
	return nil
}

// checkDTLS reports the flags that do not apply with -dtls, where the
// transport sends the probes: the smallest size and MAX_PROBES are its
// own, and the server's ACKs (DTLS 1.3) or heartbeat responses (DTLS 1.2)
// are the answers.
func (o *probeOptions) checkDTLS() error {
	switch {
	case o.echo:
		return errors.New("-echo and -dtls exclude each other")
	case o.source != sourceAuto:
		return errors.New("-icmp does not apply with -dtls: the transport reads ICMP from its socket's error queue where there is one")
	case o.min != 0:
		return errors.New("-min does not apply with -dtls")
	case o.probes != pmtu.DefaultMaxProbes:
		return errors.New("-probes does not apply with -dtls")
	}
	return nil
}

// network returns the network name that -4 and -6 select for resolving
// HOST: "ip4", "ip6" or "ip".
func (o *probeOptions) network() string {
	switch {
	case o.ipv4:
		return "ip4"
	case o.ipv6:
		return "ip6"
	}
	return "ip"
}

// splitTarget splits HOST[:PORT] into its host and port. An IPv6 address
// may be given bare, without a port, or in brackets, with or without one.
func splitTarget(target string) (host, port string, err error) {
	switch {
	case strings.HasPrefix(target, "[") && strings.HasSuffix(target, "]"):
		host = target[1 : len(target)-1]
	case strings.HasPrefix(target, "["), strings.Count(target, ":") == 1:
		host, port, err = net.SplitHostPort(target)
		if err == nil && port == "" {
			err = fmt.Errorf("missing port after the colon in %q", target)
		}
	default:
		host = target
	}
	if err == nil && host == "" {
		err = fmt.Errorf("no host in %q", target)
	}
	return host, port, err
}

// resolve finds the address to probe: the first address of host in the
// family network selects ("ip4", "ip6" or "ip"), and the port, a number or
// a service name, or defaultPort when port is empty.
func resolve(ctx context.Context, network, host, port string, defaultPort int) (netip.AddrPort, error) {
	p := defaultPort
	if port != "" {
		var err error
		if p, err = net.DefaultResolver.LookupPort(ctx, "udp", port); err != nil {
			return netip.AddrPort{}, err
		}
		if p == 0 {
			return netip.AddrPort{}, errors.New("port 0 cannot be probed")
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
		if err != nil {
			return netip.AddrPort{}, err
		}
		if len(addrs) == 0 {
			return netip.AddrPort{}, fmt.Errorf("no address for %s", host)
		}
		addr = addrs[0]
	}
	addr = addr.Unmap()
	if network == "ip4" && !addr.Is4() || network == "ip6" && !addr.Is6() {
		return netip.AddrPort{}, fmt.Errorf("%s is not an address of the family -4 or -6 asks for", addr)
	}
	return netip.AddrPortFrom(addr, uint16(p)), nil
}
