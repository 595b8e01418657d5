//go:build linux

package platform

import "unsafe"

// decodeStruct copies the start of b into a kernel structure of type T, laid
// out in the host's byte order, and returns it with the rest of b; ok
// reports whether b was long enough. It copies rather than casting so that b
// need not be aligned.
func decodeStruct[T any](b []byte) (v T, rest []byte, ok bool) {
	vb := unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v))
	if len(b) < len(vb) {
		return v, nil, false
	}
	copy(vb, b)
	return v, b[len(vb):], true
}

// appendStruct appends the bytes of the kernel structure v to b.
func appendStruct[T any](b []byte, v T) []byte {
	return append(b, unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v))...)
}
