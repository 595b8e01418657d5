package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"time"
)

// A bench is one run: the implementations, their certificates, and the
// results so far.
type bench struct {
	opts  options
	pki   *pki
	impls []impl // those of opts.impls, in the table's order
	res   *results
	log   io.Writer     // progress
	child time.Duration // CPU time of the child processes that ended
}

// run measures everything o asks for, prints the table to stdout and
// progress to progress, and writes the plot and JSON files.
func run(o options, stdout, progress io.Writer) error {
	p, err := newPKI()
	if err != nil {
		return err
	}
	b := &bench{
		opts:  o,
		pki:   p,
		impls: makeImpls(o.impls, p),
		res:   newResults(),
		log:   progress,
	}
	b.res.Meta = b.meta()
	start := time.Now()
	others := othersMeter()
	for round := 1; round <= o.rounds; round++ {
		if err := b.round(round); err != nil {
			return err
		}
	}
	b.res.Meta.Seconds = time.Since(start).Seconds()
	b.res.Meta.LoadAfter = loadAverage()
	b.res.Meta.OthersCores = others(b.child)
	b.res.summarize()
	printTable(stdout, b.res)
	if o.plot != "" {
		if err := writePlot(o.plot, b.res); err != nil {
			return err
		}
	}
	if o.json != "" {
		return b.res.writeJSON(o.json)
	}
	return nil
}

// meta describes the machine and the settings of the run.
func (b *bench) meta() meta {
	m := meta{
		Start: time.Now(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Pion: "?", PionV4: "?",
		LoadBefore: loadAverage(), Quick: b.opts.quick, Rounds: b.opts.rounds,
		Phase: b.opts.phase.String(), Idle: b.opts.idle,
		Concurrencies: b.opts.concurrencies, Sizes: b.opts.sizes,
	}
	for _, im := range b.impls {
		m.Impls = append(m.Impls, im.name())
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/pion/dtls/v3":
				m.Pion = d.Version
			case "github.com/pion/dtls/v4":
				m.PionV4 = d.Version
			}
		}
	}
	return m
}

// A step is one phase of the run, such as 32 concurrent ECDHE-ECDSA
// handshakes, which every implementation it applies to runs in turn.
type step struct {
	name   string
	secure bool // only for the DTLS implementations
	run    func(im impl, round int) error
}

// steps returns the phases of a round, in order.
func (b *bench) steps() []step {
	var st []step
	for _, c := range b.opts.concurrencies {
		for _, s := range suites {
			st = append(st, step{fmt.Sprintf("%s handshakes, %d at once", s.name, c), true,
				func(im impl, round int) error { return b.handshakes(im, s, c, round) }})
		}
	}
	for _, size := range b.opts.sizes {
		st = append(st, step{fmt.Sprintf("one-way %d-byte records", size), false,
			func(im impl, round int) error { return b.oneWay(im, size, round) }})
	}
	return append(st,
		step{"echo", false, b.echo},
		step{"allocations", false, b.allocs},
		step{"idle associations", true, b.idle},
	)
}

// round measures every figure once for each implementation, alternating
// between them phase by phase; even rounds take them in the reverse order,
// so that none always runs first.
func (b *bench) round(round int) error {
	order := slices.Clone(b.impls)
	if round%2 == 0 {
		slices.Reverse(order)
	}
	fmt.Fprintf(b.log, "round %d of %d (load average %s)\n", round, b.opts.rounds, loadAverage())
	for _, st := range b.steps() {
		fmt.Fprintf(b.log, "  %s\n", st.name)
		for _, im := range order {
			if st.secure && !im.secure() {
				continue
			}
			from, child, others := len(b.res.Samples), b.child, othersMeter()
			if err := st.run(im, round); err != nil {
				return fmt.Errorf("bench: round %d, %s, %s: %w", round, st.name, im.name(), err)
			}
			b.res.setOthers(from, others(b.child-child))
			settle()
		}
	}
	return nil
}

// othersMeter starts measuring the CPU that other processes use, and
// returns a function that reports it since then, in cores (the CPU time
// of every CPU busy, less this process's and less mine, the time of its
// own child processes, over the wall time), or -1 where it cannot be read.
func othersMeter() func(mine time.Duration) float64 {
	busy0, total0, cpus, ok := cpuTicks()
	self0, selfOK := processCPU()
	start := time.Now()
	return func(mine time.Duration) float64 {
		busy1, total1, _, ok1 := cpuTicks()
		self1, _ := processCPU()
		if !ok || !ok1 || !selfOK || total1 == total0 {
			return -1
		}
		all := float64(busy1-busy0) / float64(total1-total0) * float64(cpus)
		return max(0, all-(self1-self0+mine).Seconds()/time.Since(start).Seconds())
	}
}

// settle lets the goroutines and timers of the phase that ended finish,
// and collects its garbage, before the next phase starts.
func settle() {
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
}
