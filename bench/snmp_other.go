//go:build !linux

package main

// udpRcvbufErrors returns false: the kernel's UDP receive-buffer errors are
// read on Linux only.
func udpRcvbufErrors() (uint64, bool) { return 0, false }

// loadAverage returns "": the load average is read on Linux only.
func loadAverage() string { return "" }
