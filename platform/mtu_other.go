//go:build !linux && !windows

package platform

// pathMTUSupported says whether getPathMTU can work here.
const pathMTUSupported = false

// getPathMTU reports that this operating system has no socket option for the
// kernel's path MTU.
func getPathMTU(uintptr, sockInfo) (int, error) {
	return 0, ErrUnsupported
}
