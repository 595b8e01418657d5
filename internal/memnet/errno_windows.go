//go:build windows

package memnet

import "golang.org/x/sys/windows"

// The errnos the network reports where the system's sockets report them,
// as this operating system's sockets name them.
const (
	// EMsgSize is "message too long": a send above the interface MTU, or
	// a "fragmentation needed" or "Packet Too Big".
	EMsgSize = windows.WSAEMSGSIZE
	// EConnRefused is what a port unreachable leaves on the socket:
	// WSAECONNRESET on Windows.
	EConnRefused = windows.WSAECONNRESET
)
