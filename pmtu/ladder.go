package pmtu

// ladder lists the rungs of the handshake backoff ladder, largest first:
// Ethernet, a common tunnel MTU, the IPv6 minimum, BASE_PLPMTU, a size
// below most tunnels over tunnels, and the IPv4 floor.
var ladder = [...]MTU{1500, 1400, 1280, 1200, 1000, 576}

// NextSmaller returns the rung of the handshake backoff ladder below mtu for
// a path of family f: 1500, 1400, 1280, 1200, 1000 and 576 for IPv4; 1500,
// 1400 and 1280 for IPv6. RFC 6347 Section 4.1.1.1 (RFC 4347 Section
// 4.1.1.1) asks an implementation to back off to smaller records when
// retransmissions go unanswered; the rungs are few so that a flight reaches
// the floor after a handful of timeouts. The result is never below
// f.Floor(): at or below the floor, NextSmaller returns the floor.
func NextSmaller(f Family, mtu MTU) MTU {
	floor := f.Floor()
	for _, r := range ladder {
		if r < mtu && r >= floor {
			return r
		}
	}
	return floor
}
