//go:build !linux

package platform

// setRecvErr reports that this operating system has no socket error queue.
func setRecvErr(uintptr, sockInfo) error {
	return ErrUnsupported
}
