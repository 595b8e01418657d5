// Command bench measures pathdtls beside pion/dtls and raw UDP on the
// loopback, in one run whose phases alternate between the implementations:
// pion/dtls v3 and pathdtls in DTLS 1.2, pion/dtls v4 and pathdtls in DTLS
// 1.3, and raw UDP. It measures handshakes per second, sequential and
// concurrent, with short-lived clients that close (ECDHE-ECDSA and PSK,
// both AES-128-GCM; see suite for what each version negotiates), the CPU
// those use, one-way records per second and what was lost, echo round trips
// per second, the memory and goroutines of idle associations, and the
// allocations per handshake and per record. It prints a table, and writes
// an SVG plot and the results as JSON when asked.
//
// Usage, from the bench directory:
//
//	go run . [-quick] [-rounds n] [-phase d] [-idle n] [-impl list] [-o plot.svg] [-json results.json]
//
// -impl takes a comma-separated list of pion, pathdtls (DTLS 1.2), pion13,
// pathdtls13 (DTLS 1.3) and raw; all of them by default.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// options are the settings of a run.
type options struct {
	quick         bool
	rounds        int
	phase         time.Duration // length of each timed phase
	idle          int           // idle associations measured at once
	hsAllocs      int           // handshakes whose allocations are counted
	recordAllocs  int           // records whose allocations are counted
	concurrencies []int         // concurrent clients in the handshake phases
	sizes         []int         // record sizes of the one-way phases
	impls         []string      // the implementations measured, by -impl name, in order
	plot, json    string        // files to write, if not empty
}

// defaultOptions are the settings of a run without flags; quick shrinks
// every count so that a run takes seconds, for tests and CI.
func defaultOptions(quick bool) options {
	o := options{
		quick: quick, rounds: 3, phase: time.Second, idle: 1000,
		hsAllocs: 200, recordAllocs: 5000,
		concurrencies: []int{1, 8, 32, 128},
		sizes:         []int{100, 1000, 1400},
		impls:         allImplKeys(),
	}
	if quick {
		o.rounds, o.phase, o.idle, o.hsAllocs, o.recordAllocs = 1, 50*time.Millisecond, 20, 3, 50
	}
	return o
}

// parseFlags reads the options from args.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "tiny counts and one short round, for tests and CI")
	rounds := fs.Int("rounds", 0, "rounds of every phase (default 3, 1 with -quick)")
	phase := fs.Duration("phase", 0, "length of each timed phase (default 1s, 50ms with -quick)")
	idle := fs.Int("idle", 0, "idle associations measured at once (default 1000, 20 with -quick)")
	impls := fs.String("impl", "", "comma-separated implementations to measure, from "+
		strings.Join(allImplKeys(), ",")+" (default all)")
	plot := fs.String("o", "", "write the SVG plot to this file")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	o := defaultOptions(*quick)
	if *rounds > 0 {
		o.rounds = *rounds
	}
	if *phase > 0 {
		o.phase = *phase
	}
	if *idle > 0 {
		o.idle = *idle
	}
	if *impls != "" {
		keys, err := parseImpls(*impls)
		if err != nil {
			return options{}, err
		}
		o.impls = keys
	}
	o.plot, o.json = *plot, *jsonOut
	return o, nil
}

func main() {
	if isChild() {
		os.Exit(runChild(os.Stdin, os.Stdout))
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
