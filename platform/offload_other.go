//go:build !linux

package platform

import "syscall"

// probeOffload reports that this operating system has no UDP segmentation
// offload or receive coalescing that this package uses.
func probeOffload(uintptr) (gso, gro bool) { return false, false }

// SetGRO returns an error wrapping [ErrUnsupported]: this operating system
// has no receive coalescing that this package uses.
func SetGRO(syscall.RawConn, bool) error { return ErrUnsupported }
