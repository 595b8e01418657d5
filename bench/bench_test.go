package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain runs the process as a child holding idle clients when the idle
// phase started it as one, and as the tests otherwise.
func TestMain(m *testing.M) {
	if isChild() {
		os.Exit(runChild(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the whole benchmark with -quick, as `go run . -quick`
// does, and checks the table, the JSON results and the SVG plot.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every phase of the benchmark over the loopback for seconds")
	}
	dir := t.TempDir()
	plot, results := filepath.Join(dir, "plot.svg"), filepath.Join(dir, "results.json")
	o, err := parseFlags([]string{"-quick", "-o", plot, "-json", results}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	var table bytes.Buffer
	if err := run(o, &table, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkTable(t, table.String(), o)
	r := checkResults(t, results, o)
	checkSVG(t, plot, r.Meta)
	checkGoroutines(t, before)
}

// checkTable checks that the table has a line for every row, each with
// a value for every DTLS implementation and a cell for each ratio.
func checkTable(t *testing.T, table string, o options) {
	t.Helper()
	m := meta{Concurrencies: o.concurrencies, Sizes: o.sizes, Idle: o.idle}
	for _, im := range makeImpls(o.impls, &pki{}) {
		m.Impls = append(m.Impls, im.name())
	}
	if len(m.Impls) != 5 || len(ratiosOf(m)) != 3 {
		t.Fatalf("the quick run measures %q with %d ratios, want 5 implementations and 3 ratios", m.Impls, len(ratiosOf(m)))
	}
	for _, rw := range rows(m) {
		found := false
		for line := range strings.Lines(table) {
			if cells := strings.Split(line, " | "); strings.HasPrefix(line, "| "+rw.label+" |") {
				found = true
				if len(cells) != 1+len(m.Impls)+len(ratiosOf(m)) || slices.Contains(cells[1:len(secureColumns(m))+1], "—") {
					t.Errorf("row %q lacks a figure: %q", rw.label, line)
				}
			}
		}
		if !found {
			t.Errorf("no row %q in the table:\n%s", rw.label, table)
		}
	}
}

// checkResults checks that the JSON results decode and summarise the
// figures the plot needs for every implementation, and returns them.
func checkResults(t *testing.T, name string, o options) *results {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var r results
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	for _, size := range o.sizes {
		for _, col := range columns(r.Meta) {
			if v, ok := r.get(figRecords(size), col); !ok || v <= 0 {
				t.Errorf("%s for %s: %v, %v", figRecords(size), col, v, ok)
			}
		}
	}
	for _, c := range o.concurrencies {
		for _, s := range suites {
			for _, col := range secureColumns(r.Meta) {
				if v, ok := r.get(figHandshakes(s, c), col); !ok || v <= 0 {
					t.Errorf("%s for %s: %v, %v", figHandshakes(s, c), col, v, ok)
				}
			}
		}
	}
	if r.Meta.Rounds != 1 || !r.Meta.Quick || len(r.Samples) == 0 || r.Meta.PionV4 == "?" {
		t.Errorf("meta %+v with %d samples", r.Meta, len(r.Samples))
	}
	return &r
}

// checkSVG checks that the plot is well-formed XML with an svg root and a
// line for each implementation of m.
func checkSVG(t *testing.T, name string, m meta) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	root, paths := "", 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "path" {
				paths++
			}
		}
	}
	// Two axes, a record line for each implementation, and two handshake
	// lines for each DTLS one.
	want := 2 + len(columns(m)) + 2*len(secureColumns(m))
	if root != "svg" || paths != want {
		t.Errorf("%s: root %q with %d paths, want svg with %d", name, root, paths, want)
	}
}

// checkGoroutines fails t if more goroutines than want are left once the
// timers of the associations just closed have had time to finish.
func checkGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
