package transport

import (
	"net"
	"net/netip"
	"syscall"

	"github.com/pathdtls/pathdtls/platform"
	"github.com/pathdtls/pathdtls/pmtu"
)

// socketOptions are the options every socket of this package is opened
// with: the Don't Fragment mode asked for (platform.DFProbe by default, so
// that a forged ICMP message cannot make the kernel clamp our sends) and,
// where the system has it, the error queue, from which the read loops
// learn of ICMP messages about the datagrams they sent.
func socketOptions(df platform.DFMode) platform.Options {
	return platform.Options{DF: df, RecvErr: true}
}

// initialMTU returns the first path-MTU estimate for remote: the MTU of the
// route to it (RFC 4347 §4.1.1.1), or pmtu.DefaultMax if that cannot be
// read, capped at maxMTU (DefaultMaxMTU if zero) and, if bound is not zero,
// at bound.
func initialMTU(remote netip.Addr, maxMTU, bound int) int {
	mtu, err := platform.RouteMTU(remote.Unmap())
	if err != nil || mtu <= 0 {
		mtu = pmtu.DefaultMax
		if bound != 0 {
			mtu = bound
		}
	}
	if maxMTU == 0 {
		maxMTU = DefaultMaxMTU
	}
	mtu = min(mtu, maxMTU)
	if bound != 0 {
		mtu = min(mtu, bound)
	}
	return mtu
}

// interfaceMTU returns the largest MTU a datagram from a socket bound to
// local can leave with: the MTU of the interface that holds local or, for
// an unspecified address, the largest MTU of the interfaces other than
// loopback that are up.
// It returns 0 if it cannot tell.
//
// A listener reads route MTUs from its reader goroutine, which may run
// where the socket's routes are not those the kernel uses for it (in
// another network namespace than the socket's, as in tests); this bound,
// read when the socket is opened, keeps such an estimate from exceeding
// what the socket's own interfaces can send.
func interfaceMTU(local netip.Addr) int {
	ifs, err := net.Interfaces()
	if err != nil {
		return 0
	}
	largest := 0
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 {
			continue
		}
		if local.IsUnspecified() && ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		if !local.IsUnspecified() && !hasAddr(&ifi, local) {
			continue
		}
		largest = max(largest, ifi.MTU)
	}
	return largest
}

// hasAddr reports whether ifi holds the address a.
func hasAddr(ifi *net.Interface, a netip.Addr) bool {
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, ad := range addrs {
		if pfx, err := netip.ParsePrefix(ad.String()); err == nil && pfx.Addr().Unmap() == a.Unmap() {
			return true
		}
	}
	return false
}

// drainer returns a function that reads the error queue of the socket c
// and hands each entry to fn, for sockets with the error queue on; for
// others it does nothing.
func drainer(c syscall.RawConn, caps platform.Capabilities, fn func(platform.QueuedError)) func() {
	if !caps.RecvErr {
		return func() {}
	}
	return func() {
		// An error here means the socket was closed, which the next read
		// or write reports.
		_ = platform.ReadErrQueue(c, fn)
	}
}
