package main

import (
	"fmt"
	"slices"
	"strings"
)

// An implMaker is one implementation the benchmark can measure: the name
// -impl takes for it, and how to make it over a pki.
type implMaker struct {
	key  string
	make func(p *pki) impl
}

// implMakers are the implementations, in the order of the table's columns.
var implMakers = []implMaker{
	{"pion", func(p *pki) impl { return pionImpl{pki: p} }},
	{"pathdtls", func(p *pki) impl { return newPathdtls(p) }},
	{"pion13", func(p *pki) impl { return pion4Impl{pki: p} }},
	{"pathdtls13", func(p *pki) impl { return newPathdtls13(p) }},
	{"raw", func(*pki) impl { return rawImpl{} }},
}

// allImplKeys returns the name of every implementation, in order.
func allImplKeys() []string {
	keys := make([]string, len(implMakers))
	for i, m := range implMakers {
		keys[i] = m.key
	}
	return keys
}

// parseImpls reads -impl's comma-separated list of implementation names,
// and returns them in the table's order.
func parseImpls(list string) ([]string, error) {
	all := allImplKeys()
	var keys []string
	for k := range strings.SplitSeq(list, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(all, k) {
			return nil, fmt.Errorf("bench: -impl: no implementation %q (have %s)", k, strings.Join(all, ","))
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Index(all, a) - slices.Index(all, b) })
	return keys, nil
}

// makeImpls makes the implementations named by keys over p.
func makeImpls(keys []string, p *pki) []impl {
	var ims []impl
	for _, m := range implMakers {
		if slices.Contains(keys, m.key) {
			ims = append(ims, m.make(p))
		}
	}
	return ims
}

// implNamed makes the implementation whose column is name over p, or
// returns nil.
func implNamed(name string, p *pki) impl {
	for _, m := range implMakers {
		if im := m.make(p); im.name() == name {
			return im
		}
	}
	return nil
}
