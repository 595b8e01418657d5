package main

import "time"

// Hosts rate-limit the ICMP errors they send (RFC 1812 section 4.3.2.8,
// RFC 4443 section 2.4 (f)), and with them the port unreachables by which a
// closed port answers probes: an answer the host holds back looks like a
// lost probe, and would make a size that fits look too big. In closed-port
// mode the prober therefore paces its probes by a model of the strictest
// common limit, Linux's defaults (net.ipv4.icmp_ratelimit and
// net.ipv6.icmp.ratelimit of 1000 ms: a token bucket per destination that
// holds a burst of 6 and refills at one per second). A host with a looser
// limit only makes the search slower than it could be; one whose limit was
// already spent by someone else is caught by the rule that a size that went
// unanswered is repeated only rateLimitGap after the host's last answer.
const (
	rateLimitGap = time.Second // one answer per this, sustained
	hostBurst    = 6           // answers in a burst
)

// hostBudget is the model: a token bucket of answers the host can send.
// The zero value is a full bucket.
type hostBudget struct {
	tokens float64   // answers available at the time at
	at     time.Time // zero until the first use
}

// refill brings the bucket to now.
func (b *hostBudget) refill(now time.Time) {
	if b.at.IsZero() {
		b.tokens = hostBurst
	} else if now.After(b.at) {
		b.tokens = min(hostBurst, b.tokens+float64(now.Sub(b.at))/float64(rateLimitGap))
	}
	if now.After(b.at) {
		b.at = now
	}
}

// spend takes in an answer the host sent at about now.
func (b *hostBudget) spend(now time.Time) {
	b.refill(now)
	b.tokens = max(0, b.tokens-1)
}

// ready returns when the host can next answer: now, or later when the
// bucket is empty.
func (b *hostBudget) ready(now time.Time) time.Time {
	b.refill(now)
	if b.tokens >= 1 {
		return now
	}
	return now.Add(time.Duration((1 - b.tokens) * float64(rateLimitGap)))
}
