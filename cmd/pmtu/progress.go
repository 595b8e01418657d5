package main

import (
	"fmt"
	"io"
	"time"
)

// clearLine returns a terminal's cursor to the start of the line and
// erases the line (ECMA-48 CR and EL).
const clearLine = "\r\x1b[K"

// progress shows a search to people on standard error: with live, a line
// that rewrites itself as probes go out and come back; with verbose, one
// line per probe result. Its methods are called from the prober's
// goroutine only.
type progress struct {
	w       io.Writer
	live    bool
	verbose bool
	drawn   bool // a live line is on the screen
}

// update is the prober's progressFunc.
func (g *progress) update(p *prober, r *probeRecord) {
	if g.verbose && r.result != resultPending {
		g.clear()
		fmt.Fprintf(g.w, "probe %d: %d bytes: %s\n", r.seq, r.size, describeResult(r))
	}
	if g.live {
		g.clear()
		status := "sent"
		if r.result != resultPending {
			status = describeResult(r)
		}
		fmt.Fprintf(g.w, "%v: probe %d, %d bytes: %s", roundDuration(time.Since(p.start)), r.seq, r.size, status)
		if p.largest > 0 {
			fmt.Fprintf(g.w, "; %d gets through", p.largest)
		}
		g.drawn = true
	}
}

// clear erases the live line, if one is drawn.
func (g *progress) clear() {
	if g.drawn {
		fmt.Fprint(g.w, clearLine)
		g.drawn = false
	}
}

// describeResult says in a few words what became of a probe.
func describeResult(r *probeRecord) string {
	switch r.result {
	case resultReached:
		return fmt.Sprintf("reached the host (%v)", roundDuration(r.rtt))
	case resultLate:
		return fmt.Sprintf("reached the host late (%v)", roundDuration(r.rtt))
	case resultLost:
		return "lost"
	case resultTooBig:
		return fmt.Sprintf("too big: next-hop MTU %d from %s", r.hint, r.from)
	case resultRefused:
		return "refused by the local host"
	}
	return r.result
}

// roundDuration rounds a duration for people: to the microsecond below
// 10ms, to the tenth of a millisecond below 1s, else to the millisecond.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < 10*time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
