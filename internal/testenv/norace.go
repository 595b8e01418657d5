//go:build !race

package testenv

// Race reports whether the race detector is on: sync.Pool then drops
// items at random to find misuse, so tests that count allocations skip.
const Race = false
