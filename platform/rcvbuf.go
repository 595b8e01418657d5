package platform

import "net"

// SetReadBuffer asks for a receive buffer of bytes on the socket uc: as
// net.UDPConn.SetReadBuffer does, which the system caps (Linux's
// net.core.rmem_max, 208 KiB by default), and then, on Linux, past the cap
// where the process may (CAP_NET_ADMIN). A server that reads one socket for
// many peers needs room for the bursts that arrive while it is busy.
// Errors are not reported: the buffer is then what the system allows.
func SetReadBuffer(uc *net.UDPConn, bytes int) {
	_ = uc.SetReadBuffer(bytes) // capped, not refused, where it is too large
	if raw, err := uc.SyscallConn(); err == nil {
		_ = forceReadBuffer(raw, bytes) // needs privilege: best effort
	}
}
