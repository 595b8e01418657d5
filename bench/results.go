package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"
)

// A sample is one figure of one implementation, measured in one round,
// with the CPU other processes used during its phase, in cores (-1 if
// unknown).
type sample struct {
	Figure string  `json:"figure"`
	Impl   string  `json:"impl"`
	Round  int     `json:"round"`
	Value  float64 `json:"value"`
	Others float64 `json:"others_cores"`
}

// quietCores is the CPU other processes may use during a phase, in cores,
// for its samples to count as quiet: the summary of a rate or size takes
// only quiet samples when there are any.
const quietCores = 0.25

// meta describes the run: the machine, the load on it, and the settings.
type meta struct {
	Start         time.Time `json:"start"`
	Seconds       float64   `json:"seconds"`
	GoVersion     string    `json:"go_version"`
	OS            string    `json:"os"`
	Arch          string    `json:"arch"`
	NumCPU        int       `json:"num_cpu"`
	GOMAXPROCS    int       `json:"gomaxprocs"`
	Pion          string    `json:"pion_dtls"`
	PionV4        string    `json:"pion_dtls_v4"`
	Impls         []string  `json:"impls"` // the implementations measured, in the table's order
	LoadBefore    string    `json:"load_before"`
	LoadAfter     string    `json:"load_after"`
	OthersCores   float64   `json:"others_cores"` // CPU used by other processes over the run, in cores; -1 if unknown
	Quick         bool      `json:"quick"`
	Rounds        int       `json:"rounds"`
	Phase         string    `json:"phase"`
	Idle          int       `json:"idle_associations"`
	Concurrencies []int     `json:"concurrencies"`
	Sizes         []int     `json:"record_sizes"`
}

// results collects the samples of a run. A figure is a rate, summarised
// over the rounds by the median of its quiet samples (or of all of them,
// marked as disturbed, when none was quiet); an amount of memory or
// allocations, which other processes do not change, summarised by the
// median of all its samples; or a count (handshakes that failed, records
// lost), summarised by its sum.
type results struct {
	Meta      meta                          `json:"meta"`
	Samples   []sample                      `json:"samples"`
	Summary   map[string]map[string]float64 `json:"summary"`
	Disturbed map[string]map[string]bool    `json:"disturbed"`
	counts    map[string]bool
	amounts   map[string]bool
}

// newResults returns empty results.
func newResults() *results {
	return &results{counts: make(map[string]bool), amounts: make(map[string]bool)}
}

// add records value as figure for im in round.
func (r *results) add(figure string, im impl, round int, value float64) {
	r.Samples = append(r.Samples, sample{Figure: figure, Impl: im.name(), Round: round, Value: value, Others: -1})
}

// addAmount records an amount of memory or allocations, whose summary
// takes every round.
func (r *results) addAmount(figure string, im impl, round int, value float64) {
	r.amounts[figure] = true
	r.add(figure, im, round, value)
}

// setOthers records others as the CPU other processes used during the
// phase of the samples from index from on.
func (r *results) setOthers(from int, others float64) {
	for i := from; i < len(r.Samples); i++ {
		r.Samples[i].Others = others
	}
}

// addCount records a count, which the summary adds up over the rounds.
func (r *results) addCount(figure string, im impl, round int, value float64) {
	r.counts[figure] = true
	r.add(figure, im, round, value)
}

// summarize fills Summary and Disturbed from the samples.
func (r *results) summarize() {
	byKey := make(map[[2]string][]sample)
	for _, s := range r.Samples {
		k := [2]string{s.Figure, s.Impl}
		byKey[k] = append(byKey[k], s)
	}
	r.Summary = make(map[string]map[string]float64)
	r.Disturbed = make(map[string]map[string]bool)
	for k, ss := range byKey {
		fig, im := k[0], k[1]
		if r.Summary[fig] == nil {
			r.Summary[fig] = make(map[string]float64)
		}
		var all, quiet []float64
		for _, s := range ss {
			all = append(all, s.Value)
			if s.Others != -1 && s.Others < quietCores {
				quiet = append(quiet, s.Value)
			}
		}
		switch {
		case r.counts[fig]:
			r.Summary[fig][im] = sum(all)
		case r.amounts[fig]:
			r.Summary[fig][im] = median(all)
		case len(quiet) > 0:
			r.Summary[fig][im] = median(quiet)
		default:
			r.Summary[fig][im] = median(all)
			if r.Disturbed[fig] == nil {
				r.Disturbed[fig] = make(map[string]bool)
			}
			r.Disturbed[fig][im] = true
		}
	}
}

// get returns the summary of figure for the implementation named impl.
func (r *results) get(figure, impl string) (float64, bool) {
	v, ok := r.Summary[figure][impl]
	return v, ok
}

// writeJSON writes the results to the file name.
func (r *results) writeJSON(name string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// median returns the median of vs, which must not be empty.
func median(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// sum returns the sum of vs.
func sum(vs []float64) float64 {
	t := 0.0
	for _, v := range vs {
		t += v
	}
	return t
}

// Figure names. Each is a key of the summary; the table and the plot read
// them back.
func figHandshakes(s suite, c int) string { return fmt.Sprintf("handshakes/s %s c=%d", s.name, c) }
func figHandshakeCPU(s suite, c int) string {
	return fmt.Sprintf("handshake CPU cores %s c=%d", s.name, c)
}
func figStalls(s suite, c int) string { return fmt.Sprintf("handshake stalls %s c=%d", s.name, c) }
func figFailed(s suite, c int) string { return fmt.Sprintf("handshakes failed %s c=%d", s.name, c) }
func figServerErrors(s suite, c int) string {
	return fmt.Sprintf("server handshake errors %s c=%d", s.name, c)
}
func figRecords(size int) string     { return fmt.Sprintf("records/s %dB", size) }
func figSent(size int) string        { return fmt.Sprintf("records sent %dB", size) }
func figLost(size int) string        { return fmt.Sprintf("records lost %dB", size) }
func figRefused(size int) string     { return fmt.Sprintf("writes failed %dB", size) }
func figKernelDrops(size int) string { return fmt.Sprintf("kernel RcvbufErrors %dB", size) }
func figLibDrops(size int) string    { return fmt.Sprintf("library drops %dB", size) }
func figStopped(size int) string     { return fmt.Sprintf("receiving stopped %dB", size) }
func figAllocsHS(s suite) string     { return "allocs/handshake " + s.name }
func figBytesHS(s suite) string      { return "bytes/handshake " + s.name }

const (
	figEcho         = "echo round trips/s 100B"
	figEchoLost     = "echo lost 100B"
	figIdleHeap     = "idle heap bytes/association"
	figIdleStack    = "idle stack bytes/association"
	figIdleRoutines = "idle goroutines/association"
	figIdleSettle   = "idle settle seconds"
	figAllocsRecord = "allocs/record 1000B"
	figBytesRecord  = "bytes/record 1000B"
)
