package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// result is the outcome of a probe command, as -json prints it.
type result struct {
	// Target is HOST[:PORT] as given, and Address the address probed.
	Target  string `json:"target"`
	Address string `json:"address"`
	// Mode is "closed-port", "echo" or "dtls": what showed that a probe
	// arrived (with "dtls", the server's HeartbeatResponse, or in DTLS
	// 1.3 its ACK; see ProbeMethod).
	Mode string `json:"mode"`
	// ICMPSource is where ICMP errors were read: "errqueue", "raw" or
	// "none".
	ICMPSource string `json:"icmp_source"`
	// PathMTU is the path MTU found, in bytes of IP packet, and
	// MaxUDPPayload the largest UDP payload that fits it; both are 0 when
	// Error is set.
	PathMTU       int `json:"path_mtu"`
	MaxUDPPayload int `json:"max_udp_payload"`
	// MaxDTLSPayload is, in mode "dtls", the largest application data
	// record that fits the path MTU with the negotiated cipher suite.
	MaxDTLSPayload int `json:"max_dtls_payload,omitempty"`
	// Version and CipherSuite are, in mode "dtls", what the handshake
	// negotiated.
	Version     string `json:"version,omitempty"`
	CipherSuite string `json:"cipher_suite,omitempty"`
	// ProbeMethod is, in mode "dtls", what carried the probes:
	// "heartbeat", padded HeartbeatRequests that the server answers (DTLS
	// 1.2 and 1.0, RFC 6520, RFC 8899 section 6.2.1), or "keyupdate",
	// padded KeyUpdates that the server acknowledges (DTLS 1.3, RFC 9147
	// sections 7 and 8). It is empty when the transport did not probe.
	ProbeMethod string `json:"probe_method,omitempty"`
	// ProbeCount is the number of probes sent, and DurationMS the time
	// the search took, in milliseconds.
	ProbeCount int     `json:"probe_count"`
	DurationMS float64 `json:"duration_ms"`
	// ProbesAcked counts the probes that reached the host, and ProbesLost
	// those that went unanswered or that a router said were too big.
	ProbesAcked int `json:"probes_acked"`
	ProbesLost  int `json:"probes_lost"`
	// ICMPSeen reports whether a router's ICMP "fragmentation needed" or
	// "Packet Too Big" about a probe arrived and passed validation, and
	// ICMPRejected counts the ICMP errors that did not pass it.
	ICMPSeen     bool   `json:"icmp_seen"`
	ICMPRejected uint64 `json:"icmp_rejected"`
	// Error says why the path MTU was not found.
	Error string `json:"error,omitempty"`
	// Probes lists every probe, in the order sent; in mode "dtls", where
	// the transport sends them, it is empty.
	Probes []probeJSON `json:"probes"`

	duration time.Duration
	tooBig   *answer // the last validated ICMP too-big, for the summary
}

// probeJSON is one probe in the JSON output.
type probeJSON struct {
	Seq  uint32 `json:"seq"`
	Size int    `json:"size"`
	// AtMS is when the probe was sent, in milliseconds since the start.
	AtMS float64 `json:"at_ms"`
	// Result is reached, late, lost, too-big, refused or pending.
	Result string `json:"result"`
	// RTTMS is the round-trip time of a probe that reached the host, in
	// milliseconds.
	RTTMS float64 `json:"rtt_ms,omitempty"`
	// Hint is the MTU a router reported about the probe, and From who
	// answered it with ICMP.
	Hint int    `json:"hint,omitempty"`
	From string `json:"from,omitempty"`
}

// result summarises the search so far; err is why it ended without a path
// MTU, or nil.
func (p *prober) result(end time.Time, err error) *result {
	r := &result{
		duration: end.Sub(p.start),
		tooBig:   p.tooBig,
		ICMPSeen: p.tooBig != nil,
		Probes:   make([]probeJSON, 0, len(p.probes)),
	}
	r.DurationMS = ms(r.duration)
	if err != nil {
		r.Error = oneLine(err)
	} else {
		r.PathMTU = int(p.search.PMTU())
		r.MaxUDPPayload = p.search.MaxPayload(0)
	}
	for _, pr := range p.probes {
		switch pr.result {
		case resultReached, resultLate:
			r.ProbesAcked++
		case resultLost, resultTooBig:
			r.ProbesLost++
		}
		if pr.result != resultRefused {
			r.ProbeCount++
		}
		j := probeJSON{Seq: pr.seq, Size: pr.size, AtMS: ms(pr.sent.Sub(p.start)), Result: pr.result, Hint: pr.hint}
		if pr.rtt > 0 {
			j.RTTMS = ms(pr.rtt)
		}
		if pr.from.IsValid() {
			j.From = pr.from.String()
		}
		r.Probes = append(r.Probes, j)
	}
	return r
}

// ms converts d to milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// writeJSON writes r as one JSON object on one line.
func (r *result) writeJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// summary returns the last line for people: the path MTU, the largest UDP
// payload, the probes, the time, and whether ICMP was seen; or why the
// search failed.
func (r *result) summary() string {
	took := r.took()
	if r.Error != "" {
		return fmt.Sprintf("%s: %s (%s)", r.Address, r.Error, took)
	}
	if r.Mode == modeDTLS {
		return r.dtlsSummary(took)
	}
	icmp := "no ICMP too-big seen"
	if r.tooBig != nil {
		icmp = "ICMP seen: " + describeICMP(r.tooBig.ev)
	}
	return fmt.Sprintf("%s: path MTU %d, largest UDP payload %d; %s; %s",
		r.Address, r.PathMTU, r.MaxUDPPayload, took, icmp)
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// dtlsSummary is summary in mode "dtls": the DTLS payload and the
// negotiated protocol join the sizes, the probes acknowledged and lost
// join their count and what carried them, and the ICMP messages are counted, since the
// transport keeps no copy.
func (r *result) dtlsSummary(took string) string {
	icmp := "no ICMP too-big seen"
	if r.ICMPSeen {
		icmp = "ICMP too-big seen"
	}
	return fmt.Sprintf("%s: path MTU %d, largest UDP payload %d, largest DTLS payload %d (%s, %s); %s (%d acknowledged, %d lost); %s",
		r.Address, r.PathMTU, r.MaxUDPPayload, r.MaxDTLSPayload, r.Version, r.CipherSuite, took, r.ProbesAcked, r.ProbesLost, icmp)
}

// took returns the count of probes and the time they took, with what
// carried them in mode "dtls": "12 probes by KeyUpdate (DTLS 1.3) in
// 1.5s".
func (r *result) took() string {
	by := ""
	switch r.ProbeMethod {
	case probeHeartbeat:
		by = " by heartbeat"
	case probeKeyUpdate:
		by = " by KeyUpdate (DTLS 1.3)"
	}
	return fmt.Sprintf("%d %s%s in %v", r.ProbeCount, plural(r.ProbeCount, "probe"), by, roundDuration(r.duration))
}
