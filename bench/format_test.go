package main

import (
	"io"
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {0.3, 0.5}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {41360, 50000},
	} {
		if got := niceStep(tc.in); got != tc.want {
			t.Errorf("niceStep(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		f    func(float64) string
		in   float64
		want string
	}{
		{rate, 206812, "206.8k"}, {rate, 1705.4, "1705"}, {rate, 22.64, "22.6"},
		{count, 761.2, "761"}, {count, 0.08, "0.08"},
		{sizeOf, 52838, "51.6 KiB"}, {sizeOf, 11, "11 B"},
		{tick, 250000, "250k"}, {tick, 2000, "2000"},
	} {
		if got := tc.f(tc.in); got != tc.want {
			t.Errorf("format(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-rounds", "2", "-o", "p.svg", "-json", "r.json"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !o.quick || o.rounds != 2 || o.plot != "p.svg" || o.json != "r.json" || o.idle != 20 || len(o.impls) != len(implMakers) {
		t.Errorf("options %+v", o)
	}
	if _, err := parseFlags([]string{"extra"}, nil); err == nil {
		t.Error("an argument was accepted")
	}
	o, err = parseFlags([]string{"-impl", "raw,pathdtls13, pion13,pathdtls13"}, nil)
	if want := []string{"pion13", "pathdtls13", "raw"}; err != nil || !slices.Equal(o.impls, want) {
		t.Errorf("-impl: %q, %v; want %q", o.impls, err, want)
	}
	if _, err := parseFlags([]string{"-impl", "pion,tls"}, io.Discard); err == nil {
		t.Error("-impl took an unknown implementation")
	}
}

// TestImplNames checks that every implementation has a distinct column,
// with a colour in the plot, and that implNamed finds it, as a child
// process of the idle phase does.
func TestImplNames(t *testing.T) {
	p, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, im := range makeImpls(allImplKeys(), p) {
		if seen[im.name()] || colors[im.name()] == "" {
			t.Errorf("%q: repeated, or without a colour", im.name())
		}
		seen[im.name()] = true
		if got := implNamed(im.name(), p); got == nil || got.name() != im.name() {
			t.Errorf("implNamed(%q) = %v", im.name(), got)
		}
	}
}

func TestSummarize(t *testing.T) {
	r := newResults()
	pion, pd := pionImpl{}, newPathdtls(&pki{})
	for i, others := range []float64{0.1, 1.2, 0, 0.9} {
		from := len(r.Samples)
		r.add("rate", pion, i+1, float64(10*(i+1)))    // 10 40 quiet; 20 40 loud
		r.add("loud", pd, i+1, float64(i+1))           // quiet only when others < quietCores
		r.addAmount("heap", pion, i+1, float64(100+i)) // every round
		r.addCount("lost", pion, i+1, 1)               // summed
		r.setOthers(from, others)
		if others < quietCores {
			r.Samples[len(r.Samples)-3].Others = 2 // "loud" is disturbed in every round
		}
	}
	r.summarize()
	for _, tc := range []struct {
		fig, im   string
		want      float64
		disturbed bool
	}{
		{"rate", "pion", 20, false}, // median of 10 and 30
		{"loud", "pathdtls", 2.5, true},
		{"heap", "pion", 101.5, false},
		{"lost", "pion", 4, false},
	} {
		if got, _ := r.get(tc.fig, tc.im); got != tc.want || r.Disturbed[tc.fig][tc.im] != tc.disturbed {
			t.Errorf("%s %s = %v (disturbed %v), want %v (disturbed %v)",
				tc.fig, tc.im, got, r.Disturbed[tc.fig][tc.im], tc.want, tc.disturbed)
		}
	}
}
