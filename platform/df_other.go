//go:build !linux && !darwin && !freebsd && !windows

package platform

// setDF reports that this operating system has no Don't Fragment control
// that this package uses.
func setDF(uintptr, sockInfo, DFMode) (dfResult, error) {
	return dfResult{}, ErrUnsupported
}
