package platform

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// ErrUnsupported is returned, possibly wrapped, by operations that this
// operating system does not provide. It wraps [errors.ErrUnsupported].
var ErrUnsupported = fmt.Errorf("dtls: platform: %w", errors.ErrUnsupported)

// DFMode selects how a socket treats the Don't Fragment bit (RFC 791
// section 3.1) and, for IPv6, fragmentation by the sending host (RFC 8200
// section 4.5).
type DFMode uint8

const (
	// DFProbe sets the Don't Fragment bit and keeps the kernel from limiting
	// sends to its cached path MTU: sends are limited by the interface MTU
	// only (Linux IP_PMTUDISC_PROBE). It is the default.
	DFProbe DFMode = iota
	// DFDo sets the Don't Fragment bit and lets the kernel refuse sends
	// larger than its cached path MTU (Linux IP_PMTUDISC_DO).
	DFDo
	// DFDont lets datagrams be fragmented (Linux IP_PMTUDISC_DONT).
	DFDont
)

// String returns the mode's name: "probe", "do" or "dont".
func (m DFMode) String() string {
	switch m {
	case DFProbe:
		return "probe"
	case DFDo:
		return "do"
	case DFDont:
		return "dont"
	}
	return fmt.Sprintf("DFMode(%d)", uint8(m))
}

// Options are the socket options that [Control] and [Configure] set.
type Options struct {
	// DF is the Don't Fragment mode.
	DF DFMode
	// RecvErr asks for ICMP errors about datagrams this socket sent to be
	// queued on the socket for [ReadErrQueue] (Linux IP_RECVERR and
	// IPV6_RECVERR).
	RecvErr bool
}

// Capabilities reports what took effect on a socket.
type Capabilities struct {
	// IPv6 reports whether the socket is an IPv6 socket.
	IPv6 bool
	// DualStack reports whether the socket is an IPv6 socket that also
	// carries IPv4 traffic, as IPv4-mapped IPv6 addresses.
	DualStack bool
	// DF reports whether the Don't Fragment mode was set; DFMode says which.
	DF bool
	// DFMode is the mode in force when DF is true. It is the mode asked for,
	// except that a request for DFProbe gives DFDo where the operating
	// system cannot stop the kernel from clamping sends to its cached path
	// MTU.
	DFMode DFMode
	// DualStackDF reports, for a dual-stack socket, whether DFMode also
	// applies to its IPv4 datagrams.
	DualStackDF bool
	// RecvErr reports whether ICMP errors are queued on the socket for
	// [ReadErrQueue].
	RecvErr bool
	// PathMTU reports whether [PathMTU] can read the kernel's path MTU once
	// the socket is connected.
	PathMTU bool
	// GSO reports whether the kernel segments a buffer sent with a segment
	// size into datagrams of that size (Linux UDP_SEGMENT, 4.18 and later):
	// one system call for a run of equal datagrams to one destination.
	GSO bool
	// GRO reports whether the kernel can coalesce datagrams arriving from
	// one peer into one buffer read with their segment size (Linux UDP_GRO,
	// 5.0 and later). It says the option exists; [SetGRO] turns it on.
	GRO bool
}

// Control returns a function for [net.ListenConfig.Control] or
// [net.Dialer.Control] that sets opts on the socket before it is bound, as
// [Configure] does. If caps is not nil, the function stores in it what took
// effect; a dialer that tries several addresses leaves there the outcome for
// the last socket it opened. The function fails, and with it the listen or
// dial, only when an option that this operating system provides was
// refused.
func Control(opts Options, caps *Capabilities) func(network, address string, c syscall.RawConn) error {
	return func(network, _ string, c syscall.RawConn) error {
		got, err := Configure(c, network, opts)
		if caps != nil {
			*caps = got
		}
		return err
	}
}

// Configure sets opts on the socket c and reports what took effect. Network
// is the socket's network ("udp4", "udp6" or "udp"), as a Control function
// receives it or as [net.Addr.Network] returns it; it is consulted only when
// the socket itself cannot tell its address family. Options this operating
// system lacks are reported as absent in the result without an error. An
// error means that an option it provides was refused.
func Configure(c syscall.RawConn, network string, opts Options) (Capabilities, error) {
	var r struct { // one allocation for what the function sets
		caps Capabilities
		err  error
	}
	if cerr := c.Control(func(fd uintptr) { r.caps, r.err = configure(fd, network, opts) }); cerr != nil {
		return Capabilities{}, fmt.Errorf("dtls: platform: %w", cerr)
	}
	return r.caps, r.err
}

// configure is Configure on the file descriptor.
func configure(fd uintptr, network string, opts Options) (Capabilities, error) {
	s, err := sockInfoOf(fd, network)
	if err != nil {
		return Capabilities{}, err
	}
	caps := Capabilities{IPv6: s.ipv6, DualStack: s.dual, PathMTU: pathMTUSupported}
	switch res, err := setDF(fd, s, opts.DF); {
	case errors.Is(err, ErrUnsupported):
		// Reported as absent: the caller falls back to probing alone.
	case err != nil:
		return caps, err
	default:
		caps.DF, caps.DFMode, caps.DualStackDF = true, res.mode, res.dualStack
	}
	if opts.RecvErr {
		// Best effort: without the error queue, the caller relies on raw
		// ICMP sockets or on probes, so a refusal is reported, not fatal.
		caps.RecvErr = setRecvErr(fd, s) == nil
	}
	caps.GSO, caps.GRO = probeOffload(fd)
	return caps, nil
}

// SetDF sets the Don't Fragment mode of the socket c, as [Configure] does
// with [Options.DF]. It returns an error wrapping [ErrUnsupported] if this
// operating system cannot set the mode.
func SetDF(c syscall.RawConn, network string, mode DFMode) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		var s sockInfo
		if s, err = sockInfoOf(fd, network); err == nil {
			_, err = setDF(fd, s, mode)
		}
	}); cerr != nil {
		return fmt.Errorf("dtls: platform: %w", cerr)
	}
	return err
}

// PathMTU returns the kernel's current path MTU estimate for the
// destination of the connected socket c, in bytes of IP packet (Linux and
// Windows IP_MTU and IPV6_MTU). It fails on an unconnected socket, and with
// an error wrapping [ErrUnsupported] on other operating systems.
func PathMTU(c syscall.RawConn, network string) (int, error) {
	var r struct { // one allocation for what the function sets
		mtu int
		err error
	}
	if cerr := c.Control(func(fd uintptr) {
		var s sockInfo
		if s, r.err = sockInfoOf(fd, network); r.err == nil {
			r.mtu, r.err = getPathMTU(fd, s)
		}
	}); cerr != nil {
		return 0, fmt.Errorf("dtls: platform: %w", cerr)
	}
	return r.mtu, r.err
}

// sockInfo is what the option setters need to know about a socket.
type sockInfo struct {
	ipv6 bool // an AF_INET6 socket
	dual bool // an AF_INET6 socket that also carries IPv4 (IPV6_V6ONLY off)
}

// dfResult is what setDF achieved.
type dfResult struct {
	mode      DFMode // the mode in force
	dualStack bool   // the mode also applies to IPv4 on a dual-stack socket
}

// familyFromNetwork is the fallback of sockInfoOf for a socket that cannot
// tell its family, such as a Windows socket not yet bound.
func familyFromNetwork(network string) (sockInfo, error) {
	switch {
	case strings.HasSuffix(network, "4"):
		return sockInfo{}, nil
	case strings.HasSuffix(network, "6"):
		return sockInfo{ipv6: true}, nil
	}
	return sockInfo{}, fmt.Errorf("dtls: platform: cannot tell the address family of a %q socket", network)
}

// sockoptError describes a failed getsockopt or setsockopt of the option
// name. It wraps err, so that callers can match the errno.
func sockoptError(op, name string, err error) error {
	return fmt.Errorf("dtls: platform: %s %s: %w", op, name, err)
}

// errBadMode reports a DFMode that is none of the constants.
func errBadMode(mode DFMode) error {
	return fmt.Errorf("dtls: platform: unknown DF mode %d", uint8(mode))
}
