//go:build !linux

package platform

import "syscall"

// ReusePortBalances is false: this package shares an address among
// sockets only where the system balances datagrams among them by peer, as
// Linux does.
const ReusePortBalances = false

// SetReusePort returns an error wrapping [ErrUnsupported]: see
// ReusePortBalances.
func SetReusePort(syscall.RawConn) error { return ErrUnsupported }
