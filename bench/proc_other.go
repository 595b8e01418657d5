//go:build !linux

package main

// udpRcvbufErrors returns false: the kernel's UDP receive-buffer errors are
// read on Linux only.
func udpRcvbufErrors() (uint64, bool) { return 0, false }

// cpuTicks returns false: the system's CPU ticks are read on Linux only.
func cpuTicks() (busy, total uint64, cpus int, ok bool) { return 0, 0, 0, false }

// loadAverage returns "": the load average is read on Linux only.
func loadAverage() string { return "" }
