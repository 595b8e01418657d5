//go:build linux

package platform

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	// errQueuePayloadMax holds the largest quote Linux queues: 1184 bytes
	// of UDP payload from an ICMPv6 message of 1280 bytes.
	errQueuePayloadMax = 2048
	// errQueueOOBMax holds the IP_RECVERR or IPV6_RECVERR message and the
	// other control messages the socket may have asked for.
	errQueueOOBMax = 512
)

// ReadErrQueue reads the socket's error queue without blocking
// (recvmsg with MSG_ERRQUEUE|MSG_DONTWAIT) until it is empty, then calls fn
// for each entry read, in order. It needs [Options.RecvErr]. It may be
// called while another goroutine reads from or writes to the socket, and fn
// may use the socket. Entries that are not extended socket errors are
// skipped. Draining the queue matters: until it is empty the kernel keeps
// reporting the socket as having an error.
func ReadErrQueue(c syscall.RawConn, fn func(QueuedError)) error {
	var r struct { // one allocation for what the function sets
		entries []QueuedError
		err     error
	}
	if cerr := c.Control(func(fd uintptr) { r.entries, r.err = drainErrQueue(int(fd)) }); cerr != nil {
		return fmt.Errorf("dtls: platform: %w", cerr)
	}
	// fn runs outside Control, so that it may close the socket.
	for _, q := range r.entries {
		fn(q)
	}
	return r.err
}

// drainErrQueue reads the error queue of fd until it is empty.
func drainErrQueue(fd int) ([]QueuedError, error) {
	bufs := errQueueBufs.Get().(*errQueueBuffers)
	defer errQueueBufs.Put(bufs)
	payload, oob := bufs.payload[:], bufs.oob[:]
	var entries []QueuedError
	for {
		n, oobn, _, from, err := unix.Recvmsg(fd, payload, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		switch err {
		case nil:
		case unix.EAGAIN:
			return entries, nil
		case unix.EINTR:
			continue
		default:
			return entries, fmt.Errorf("dtls: platform: reading the error queue: %w", os.NewSyscallError("recvmsg", err))
		}
		q, ok := parseErrQueueCmsgs(oob[:oobn])
		if !ok {
			continue
		}
		q.Dest = addrPortOf(from)
		q.Payload = bytes.Clone(payload[:n])
		entries = append(entries, q)
	}
}

// errQueueBuffers are the buffers an error-queue read needs, kept in
// errQueueBufs between reads: a server whose departed clients' ports
// answer with port unreachables reads its queue often.
type errQueueBuffers struct {
	payload [errQueuePayloadMax]byte
	oob     [errQueueOOBMax]byte
}

var errQueueBufs = sync.Pool{New: func() any { return new(errQueueBuffers) }}

// parseErrQueueCmsgs finds the IP_RECVERR or IPV6_RECVERR control message
// among the control messages oob and decodes it.
func parseErrQueueCmsgs(oob []byte) (QueuedError, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return QueuedError{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR ||
			m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR {
			return parseExtendedErr(m.Data)
		}
	}
	return QueuedError{}, false
}

// parseExtendedErr decodes the data of an IP_RECVERR or IPV6_RECVERR
// control message: a struct sock_extended_err followed by the offender's
// address, a sockaddr_in or sockaddr_in6 (SO_EE_OFFENDER in
// include/uapi/linux/errqueue.h), whose family is AF_UNSPEC for a local
// error.
func parseExtendedErr(data []byte) (QueuedError, bool) {
	ee, offender, ok := decodeStruct[unix.SockExtendedErr](data)
	if !ok {
		return QueuedError{}, false
	}
	return QueuedError{
		Errno:    syscall.Errno(ee.Errno),
		Origin:   originOf(ee.Origin),
		Type:     ee.Type,
		Code:     ee.Code,
		Info:     ee.Info,
		Offender: offenderAddr(offender),
	}, true
}

// originOf maps the kernel's SO_EE_ORIGIN_* values.
func originOf(o uint8) Origin {
	switch o {
	case unix.SO_EE_ORIGIN_LOCAL:
		return OriginLocal
	case unix.SO_EE_ORIGIN_ICMP:
		return OriginICMP
	case unix.SO_EE_ORIGIN_ICMP6:
		return OriginICMP6
	}
	return OriginUnknown
}

// offenderAddr decodes the offender's sockaddr; a missing or unknown one is
// the zero Addr.
func offenderAddr(b []byte) netip.Addr {
	family, _, ok := decodeStruct[uint16](b)
	if !ok {
		return netip.Addr{}
	}
	switch family {
	case unix.AF_INET:
		if sa, _, ok := decodeStruct[unix.RawSockaddrInet4](b); ok {
			return netip.AddrFrom4(sa.Addr)
		}
	case unix.AF_INET6:
		if sa, _, ok := decodeStruct[unix.RawSockaddrInet6](b); ok {
			return withZone(netip.AddrFrom16(sa.Addr), sa.Scope_id)
		}
	}
	return netip.Addr{}
}

// addrPortOf converts the address recvmsg returned.
func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(withZone(netip.AddrFrom16(sa.Addr), sa.ZoneId), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// withZone gives a link-local address its numeric zone, which package net
// accepts in place of an interface name.
func withZone(a netip.Addr, zone uint32) netip.Addr {
	if zone == 0 || !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast() {
		return a
	}
	return a.WithZone(strconv.FormatUint(uint64(zone), 10))
}
