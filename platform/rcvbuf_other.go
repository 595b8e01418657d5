//go:build !linux

package platform

import "syscall"

// forceReadBuffer reports that only Linux can pass the system's limit.
func forceReadBuffer(syscall.RawConn, int) error { return ErrUnsupported }
