package pmtu

// ladder lists the rungs of the handshake backoff ladder, largest first.
var ladder = [...]int{1500, 1400, 1280, 1200, 576}

// NextSmaller returns the rung of the handshake backoff ladder below mtu for
// a path of family f: 1500, 1400, 1280, then 1200 and 576 for IPv4. RFC 6347
// Section 4.1.1.1 (RFC 4347 Section 4.1.1.1) asks an implementation to back
// off to smaller records after two or three unanswered retransmissions; the
// rungs are few so that each costs one timeout at most. The result is never
// below f.Floor(); at the floor, NextSmaller returns the floor.
func NextSmaller(f Family, mtu int) int {
	floor := f.Floor()
	for _, r := range ladder {
		if r < mtu && r >= floor {
			return r
		}
	}
	return floor
}
