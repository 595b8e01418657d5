package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// columns returns the columns of the table, by implementation name: those
// the run measured.
func columns(m meta) []string { return m.Impls }

// secureColumns returns the columns of the DTLS implementations.
func secureColumns(m meta) []string {
	var cs []string
	for _, c := range m.Impls {
		if c != (rawImpl{}).name() {
			cs = append(cs, c)
		}
	}
	return cs
}

// A ratioColumn is a column of the table that divides one implementation's
// figures by another's.
type ratioColumn struct {
	label, num, den string
}

// ratioColumns are the ratios the table shows, those whose implementations
// both ran.
var ratioColumns = []ratioColumn{
	{"pathdtls/pion", "pathdtls", "pion"},
	{"1.3: pathdtls/pion v4", "pathdtls DTLS 1.3", "pion v4 DTLS 1.3"},
	{"pathdtls 1.3/1.2", "pathdtls DTLS 1.3", "pathdtls"},
}

// ratiosOf returns the ratio columns of a run that measured m.Impls.
func ratiosOf(m meta) []ratioColumn {
	var rs []ratioColumn
	for _, rc := range ratioColumns {
		if slices.Contains(m.Impls, rc.num) && slices.Contains(m.Impls, rc.den) {
			rs = append(rs, rc)
		}
	}
	return rs
}

// A row is one line of the table: a figure, formatted, and an optional note
// after each cell.
type row struct {
	label  string
	figure string
	format func(float64) string
	note   func(r *results, impl string) string
}

// rows returns the table's rows for the concurrencies and sizes measured.
func rows(m meta) []row {
	var rs []row
	for _, c := range m.Concurrencies {
		for _, s := range suites {
			label := fmt.Sprintf("%d concurrent %s clients, handshakes/s", c, s.name)
			if c == 1 {
				label = fmt.Sprintf("sequential %s handshakes/s, short-lived clients", s.name)
			}
			rs = append(rs, row{label, figHandshakes(s, c), rate, handshakeNote(s, c)})
		}
	}
	for _, size := range m.Sizes {
		rs = append(rs,
			row{fmt.Sprintf("one-way %d-byte records/s", size), figRecords(size), rate, nil},
			row{fmt.Sprintf("  %d-byte records lost of sent (kernel rcvbuf errors, library drops)", size),
				figLost(size), nil, lossNote(size)})
	}
	return append(rs,
		row{"100-byte echo round trips/s", figEcho, rate, nil},
		row{fmt.Sprintf("idle server association (N=%d): heap", m.Idle), figIdleHeap, sizeOf, nil},
		row{"  goroutine stacks", figIdleStack, sizeOf, nil},
		row{"  goroutines", figIdleRoutines, func(v float64) string { return fmt.Sprintf("%.2f", v) }, nil},
		row{"allocations per ECDHE-ECDSA handshake, both ends", figAllocsHS(suiteECDSA), count, nil},
		row{"  bytes allocated", figBytesHS(suiteECDSA), sizeOf, nil},
		row{"allocations per PSK handshake, both ends", figAllocsHS(suitePSK), count, nil},
		row{"  bytes allocated", figBytesHS(suitePSK), sizeOf, nil},
		row{"allocations per 1000-byte record, both ends", figAllocsRecord, count, nil},
		row{"  bytes allocated", figBytesRecord, sizeOf, nil},
	)
}

// printTable writes the summary of r as a Markdown table, with the run's
// settings and load above it.
func printTable(w io.Writer, r *results) {
	m := r.Meta
	fmt.Fprintf(w, "%s on the loopback, %s, %s/%s, %d CPUs (GOMAXPROCS %d)\n",
		strings.Join(m.Impls, ", "), m.GoVersion, m.OS, m.Arch, m.NumCPU, m.GOMAXPROCS)
	fmt.Fprintf(w, "pion is pion/dtls %s (DTLS 1.2), pion v4 pion/dtls %s; every server runs its default stateless cookie exchange: a HelloVerifyRequest in DTLS 1.2, a HelloRetryRequest in DTLS 1.3, for every first ClientHello\n",
		m.Pion, m.PionV4)
	fmt.Fprintf(w, "%d round(s) of %s phases alternating between implementations, %.0f s: rates are medians over the rounds whose phase had other processes using under %.2f cores (* where none did), amounts medians over all, losses summed\n",
		m.Rounds, m.Phase, m.Seconds, quietCores)
	fmt.Fprintf(w, "load average before %s, after %s; other processes used %s over the run\n\n",
		orDash(m.LoadBefore), orDash(m.LoadAfter), others(m.OthersCores))
	cols, ratios := columns(m), ratiosOf(m)
	head := slices.Clone(cols)
	for _, rc := range ratios {
		head = append(head, rc.label)
	}
	fmt.Fprintf(w, "| figure | %s |\n|---|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, rw := range rows(m) {
		cells := make([]string, 0, len(head))
		for _, col := range cols {
			cells = append(cells, cell(r, rw, col))
		}
		for _, rc := range ratios {
			cells = append(cells, ratio(r, rw, rc))
		}
		fmt.Fprintf(w, "| %s | %s |\n", rw.label, strings.Join(cells, " | "))
	}
}

// cell formats row rw's figure for the implementation col.
func cell(r *results, rw row, col string) string {
	v, ok := r.get(rw.figure, col)
	if !ok {
		return "—"
	}
	s := ""
	if rw.format != nil {
		s = rw.format(v)
		if r.Disturbed[rw.figure][col] {
			s += "*"
		}
	}
	if rw.note != nil {
		if n := rw.note(r, col); n != "" {
			s = strings.TrimSpace(s + " " + n)
		}
	}
	return s
}

// ratio returns rc's quotient of row rw's figures, for rows with a format.
func ratio(r *results, rw row, rc ratioColumn) string {
	p, ok1 := r.get(rw.figure, rc.num)
	q, ok2 := r.get(rw.figure, rc.den)
	if rw.format == nil || !ok1 || !ok2 || q == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", p/q)
}

// handshakeNote returns the CPU a handshake phase used, and its stalls and
// failures when there were any.
func handshakeNote(s suite, c int) func(*results, string) string {
	return func(r *results, col string) string {
		var parts []string
		if v, ok := r.get(figHandshakeCPU(s, c), col); ok {
			parts = append(parts, fmt.Sprintf("%.2f cores", v))
		}
		if v, _ := r.get(figStalls(s, c), col); v > 0 {
			parts = append(parts, fmt.Sprintf("%.0f stalled", v))
		}
		if v, _ := r.get(figFailed(s, c), col); v > 0 {
			parts = append(parts, fmt.Sprintf("%.0f failed", v))
		}
		if len(parts) == 0 {
			return ""
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
}

// lossNote returns the share of the records sent that did not arrive, with
// the kernel's receive-buffer errors and the library's own drops, and the
// rounds after which the association no longer carried records.
func lossNote(size int) func(*results, string) string {
	return func(r *results, col string) string {
		sent, _ := r.get(figSent(size), col)
		lost, _ := r.get(figLost(size), col)
		if sent == 0 {
			return ""
		}
		k, kok := r.get(figKernelDrops(size), col)
		l, lok := r.get(figLibDrops(size), col)
		s := fmt.Sprintf("%.1f%% (%s, %s)", 100*lost/sent, countOr(k, kok), countOr(l, lok))
		if v, _ := r.get(figRefused(size), col); v > 0 {
			s += fmt.Sprintf("; %s writes failed", countOr(v, true))
		}
		if v, _ := r.get(figStopped(size), col); v > 0 {
			s += fmt.Sprintf("; receiving stopped in %.0f round(s)", v)
		}
		return s
	}
}

// rate formats a rate: 206.8k, 1705, 22.6.
func rate(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.1fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// count formats a count of allocations, an average: 761, 37, 0.08.
func count(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// sizeOf formats a size in bytes, in KiB from 1 KiB.
func sizeOf(v float64) string {
	if v >= 1024 || v <= -1024 {
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f B", v)
}

// countOr formats a count, or "?" when it is not known.
func countOr(v float64, ok bool) string {
	if !ok {
		return "?"
	}
	if v >= 10000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}

// others formats the cores other processes used.
func others(cores float64) string {
	if cores < 0 {
		return "an unknown share of the CPUs"
	}
	return fmt.Sprintf("%.2f cores", cores)
}

// orDash returns s, or "—" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
