package pmtu_test

import (
	"fmt"
	"time"

	"github.com/pathdtls/pathdtls/pmtu"
)

// This example searches a simulated path whose MTU is 1400 and whose router
// reports Packet Too Big, the way a probing tool drives a Search: send what
// NextProbe asks for, report the outcome, and sleep until Deadline otherwise.
func ExampleSearch() {
	const pathMTU = 1400
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := pmtu.New(pmtu.Config{Family: pmtu.IPv6, Max: 1500}, now)
	s.Start(now)
	for s.State() != pmtu.SearchComplete {
		size, id, ok := s.NextProbe(now)
		if !ok {
			now = s.Deadline()
			s.Tick(now)
			continue
		}
		now = now.Add(20 * time.Millisecond)
		if size <= pathMTU {
			fmt.Printf("probe %d: acknowledged\n", size)
			s.ProbeAcked(id, now)
		} else {
			fmt.Printf("probe %d: Packet Too Big, MTU %d\n", size, pathMTU)
			s.PacketTooBig(pathMTU, now)
		}
	}
	fmt.Printf("%v: path MTU %d, UDP payload %d\n", s.State(), s.PMTU(), s.MaxPayload(0))
	// Output:
	// probe 1280: acknowledged
	// probe 1500: Packet Too Big, MTU 1400
	// probe 1400: acknowledged
	// SEARCH_COMPLETE: path MTU 1400, UDP payload 1352
}

// This example walks the handshake backoff ladder for IPv4.
func ExampleNextSmaller() {
	for mtu := 9000; ; {
		next := pmtu.NextSmaller(pmtu.IPv4, mtu)
		fmt.Print(next, " ")
		if next == mtu {
			break
		}
		mtu = next
	}
	fmt.Println()
	// Output: 1500 1400 1280 1200 576 576
}
