package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/pathdtls/pathdtls/icmp"
)

// answerKind says what an answer tells about a probe.
type answerKind uint8

const (
	// answerReached: the probe reached the host, which replied through
	// its echo service or with an ICMP port unreachable.
	answerReached answerKind = iota
	// answerTooBig: a router reported, in a validated ICMP "fragmentation
	// needed" or "Packet Too Big", that the probe did not fit its next
	// link.
	answerTooBig
	// answerUnreachable: a validated ICMP error other than those says
	// that probes cannot reach the host at all (host or network
	// unreachable, communication prohibited, time exceeded).
	answerUnreachable
	// answerFailed: the socket failed; err says how.
	answerFailed
)

// answer is something that came back about a probe.
type answer struct {
	kind answerKind
	seq  uint32    // the probe it is about; 0 when the quote was too short to tell
	at   time.Time // when it was read
	ev   icmp.Event
	echo bool  // answerReached: an echo reply, not an ICMP message
	err  error // answerFailed
}

// String describes a in a few words, for messages.
func (a answer) String() string {
	switch {
	case a.kind == answerFailed:
		return oneLine(a.err)
	case a.echo:
		return "echo reply"
	}
	return describeICMP(a.ev)
}

// describeICMP names an ICMP error and its sender.
func describeICMP(ev icmp.Event) string {
	var what string
	switch ev.Kind {
	case icmp.KindFragNeeded:
		what = fmt.Sprintf("ICMP fragmentation needed (MTU %d)", ev.MTU)
	case icmp.KindPacketTooBig:
		what = fmt.Sprintf("ICMPv6 Packet Too Big (MTU %d)", ev.MTU)
	case icmp.KindPortUnreachable:
		what = "ICMP port unreachable"
	case icmp.KindHostUnreachable:
		what = "ICMP host unreachable"
	case icmp.KindTimeExceeded:
		what = "ICMP time exceeded"
	default:
		v := "ICMP"
		if ev.IPv6 {
			v = "ICMPv6"
		}
		what = fmt.Sprintf("%s error type %d code %d", v, ev.Type, ev.Code)
	}
	if ev.Reporter.IsValid() {
		what += " from " + ev.Reporter.String()
	}
	return what
}

// classify decides what a validated ICMP error about a probe sent to remote
// means. A port unreachable counts as the host's answer only if the host
// sent it.
func classify(ev icmp.Event, remote netip.Addr) answerKind {
	switch ev.Kind {
	case icmp.KindFragNeeded, icmp.KindPacketTooBig:
		return answerTooBig
	case icmp.KindPortUnreachable:
		if ev.Reporter.Unmap().WithZone("") == remote.Unmap().WithZone("") {
			return answerReached
		}
	}
	return answerUnreachable
}
