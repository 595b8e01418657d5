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
	for mtu := pmtu.MTU(9000); ; {
		next := pmtu.NextSmaller(pmtu.IPv4, mtu)
		fmt.Print(next, " ")
		if next == mtu {
			break
		}
		mtu = next
	}
	fmt.Println()
	// Output: 1500 1400 1280 1200 1000 576 576
}

// This example runs a handshake through a path that silently drops IPv4
// packets larger than 1000 bytes: each unanswered flight takes the estimate
// one rung down, until a flight gets through. The handshake then proved
// 1000 bytes, which probing starts from.
func ExampleSearch_Backoff() {
	const pathMTU = 1000
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := pmtu.New(pmtu.Config{Family: pmtu.IPv4, Max: 1500}, now)
	for s.PMTU() > pathMTU {
		now = now.Add(time.Second) // the retransmission timer
		fmt.Printf("flight of %d-byte datagrams unanswered: ", s.PMTU())
		fmt.Println("retransmit at", s.Backoff(s.PMTU(), now))
	}
	s.SizeAcked(s.PMTU(), now) // the peer answered the flight
	s.Start(now)
	size, _, _ := s.NextProbe(now)
	fmt.Printf("%v at %d, first probe %d\n", s.State(), s.PMTU(), size)
	// Output:
	// flight of 1500-byte datagrams unanswered: retransmit at 1400
	// flight of 1400-byte datagrams unanswered: retransmit at 1280
	// flight of 1280-byte datagrams unanswered: retransmit at 1200
	// flight of 1200-byte datagrams unanswered: retransmit at 1000
	// SEARCHING at 1000, first probe 1500
}
