package platform

import "syscall"

// errnoOf returns the syscall.Errno in err's chain, as errors.As does,
// without the allocation errors.As costs: it is asked of every failed read.
func errnoOf(err error) (syscall.Errno, bool) {
	for err != nil {
		switch e := err.(type) {
		case syscall.Errno:
			return e, true
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, err := range e.Unwrap() {
				if errno, ok := errnoOf(err); ok {
					return errno, true
				}
			}
			return 0, false
		default:
			return 0, false
		}
	}
	return 0, false
}
