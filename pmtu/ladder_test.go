package pmtu

import (
	"net/netip"
	"testing"
)

func TestNextSmaller(t *testing.T) {
	tests := []struct {
		fam       Family
		mtu, want int
	}{
		{IPv4, 9000, 1500},
		{IPv4, 1501, 1500},
		{IPv4, 1500, 1400},
		{IPv4, 1492, 1400},
		{IPv4, 1400, 1280},
		{IPv4, 1280, 1200},
		{IPv4, 1200, 576},
		{IPv4, 1000, 576},
		{IPv4, 576, 576},
		{IPv4, 100, 576},
		{IPv6, 9000, 1500},
		{IPv6, 1500, 1400},
		{IPv6, 1400, 1280},
		{IPv6, 1280, 1280},
		{IPv6, 1300, 1280},
	}
	for _, tt := range tests {
		if got := NextSmaller(tt.fam, tt.mtu); got != tt.want {
			t.Errorf("NextSmaller(%v, %d) = %d, want %d", tt.fam, tt.mtu, got, tt.want)
		}
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		addr                        string
		fam                         Family
		header, minMTU, floor, base int
	}{
		{"192.0.2.1", IPv4, 28, 68, 576, 1200},
		{"::ffff:192.0.2.1", IPv4, 28, 68, 576, 1200},
		{"2001:db8::1", IPv6, 48, 1280, 1280, 1280},
	}
	for _, tt := range tests {
		f := FamilyOf(netip.MustParseAddr(tt.addr))
		if f != tt.fam || f.HeaderLen() != tt.header || f.MinMTU() != tt.minMTU || f.Floor() != tt.floor || f.base() != tt.base {
			t.Errorf("%s: %v %d %d %d %d", tt.addr, f, f.HeaderLen(), f.MinMTU(), f.Floor(), f.base())
		}
	}
	if s := Family(5).String(); s != "Family(5)" {
		t.Errorf("Family(5).String() = %q", s)
	}
	if s := State(9).String(); s != "State(9)" {
		t.Errorf("State(9).String() = %q", s)
	}
	if s := SearchComplete.String(); s != "SEARCH_COMPLETE" {
		t.Errorf("SearchComplete.String() = %q", s)
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name                 string
		in                   Config
		min, base, max, nPla int
	}{
		{"zero", Config{}, 576, 1200, 1500, 14},
		{"IPv6", Config{Family: IPv6}, 1280, 1280, 1500, 11},
		{"jumbo", Config{Max: 9000}, 576, 1200, 9000, 15},
		{"Max below Min", Config{Family: IPv6, Max: 1000}, 1280, 1280, 1280, 1},
		{"Min below the IPv4 minimum", Config{Min: 10, Base: 50}, 68, 68, 1500, 14},
		{"Base above Max", Config{Max: 1100, Base: 1400}, 576, 1100, 1100, 2},
		{"no plateaus", Config{Plateaus: []int{}}, 576, 1200, 1500, 0},
		{"odd plateaus", Config{Plateaus: []int{1400, 1400, 99999, 1, 1300}}, 576, 1200, 1500, 2},
	}
	for _, tt := range tests {
		c := tt.in.normalize()
		if c.Min != tt.min || c.Base != tt.base || c.Max != tt.max || len(c.Plateaus) != tt.nPla {
			t.Errorf("%s: Min %d Base %d Max %d, %d plateaus; want %d %d %d %d",
				tt.name, c.Min, c.Base, c.Max, len(c.Plateaus), tt.min, tt.base, tt.max, tt.nPla)
		}
		if c.MaxProbes != 3 || c.ProbeTimeout != DefaultProbeTimeout || c.RaiseTimeout != DefaultRaiseTimeout || c.ConfirmTimeout != DefaultConfirmTimeout {
			t.Errorf("%s: timers %+v", tt.name, c)
		}
	}
}
