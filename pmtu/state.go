package pmtu

import "strconv"

// A State is a state of the DPLPMTUD state machine of RFC 8899 Section 5.2.
type State uint8

// The states of RFC 8899 Section 5.2.
const (
	// Disabled is the state before probing has started, and after
	// connectivity to the peer was lost. The size is the initial estimate,
	// lowered by validated ICMP, local errors and the handshake backoff
	// ladder (RFC 1191, RFC 8201).
	Disabled State = iota
	// Base confirms that BASE_PLPMTU gets through; the size is BASE_PLPMTU.
	Base
	// Searching probes for a larger size; the size is the largest one
	// acknowledged.
	Searching
	// SearchComplete holds a size found by a search, confirms it
	// periodically and searches again after the raise timer.
	SearchComplete
	// Error means the path is not known to carry BASE_PLPMTU; the size is
	// MIN_PLPMTU while smaller sizes are probed.
	Error
)

var stateNames = [...]string{
	Disabled:       "DISABLED",
	Base:           "BASE",
	Searching:      "SEARCHING",
	SearchComplete: "SEARCH_COMPLETE",
	Error:          "ERROR",
}

// String returns the name RFC 8899 Section 5.2 gives the state.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}
