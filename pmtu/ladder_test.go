package pmtu

import (
	"net/netip"
	"testing"
)

func TestNextSmaller(t *testing.T) {
	tests := []struct {
		fam       Family
		mtu, want MTU
	}{
		{IPv4, 9000, 1500},
		{IPv4, 1501, 1500},
		{IPv4, 1500, 1400},
		{IPv4, 1492, 1400},
		{IPv4, 1400, 1280},
		{IPv4, 1280, 1200},
		{IPv4, 1200, 1000},
		{IPv4, 1100, 1000},
		{IPv4, 1000, 576},
		{IPv4, 600, 576},
		{IPv4, 576, 576},
		{IPv4, 100, 576},
		{IPv6, 9000, 1500},
		{IPv6, 1500, 1400},
		{IPv6, 1400, 1280},
		{IPv6, 1300, 1280},
		{IPv6, 1280, 1280},
		{IPv6, 1000, 1280},
	}
	for _, tt := range tests {
		if got := NextSmaller(tt.fam, tt.mtu); got != tt.want {
			t.Errorf("NextSmaller(%v, %d) = %d, want %d", tt.fam, tt.mtu, got, tt.want)
		}
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		addr                 string
		fam                  Family
		payload1500          int
		minMTU, floor, base  MTU
		mtuOf1472, mtuOfNone MTU
	}{
		{"192.0.2.1", IPv4, 1472, 68, 576, 1200, 1500, 28},
		{"::ffff:192.0.2.1", IPv4, 1472, 68, 576, 1200, 1500, 28},
		{"2001:db8::1", IPv6, 1452, 1280, 1280, 1280, 1520, 48},
	}
	for _, tt := range tests {
		f := FamilyOf(netip.MustParseAddr(tt.addr))
		if f != tt.fam || f.Payload(1500) != tt.payload1500 || f.MinMTU() != tt.minMTU || f.Floor() != tt.floor || f.base() != tt.base {
			t.Errorf("%s: %v %d %d %d %d", tt.addr, f, f.Payload(1500), f.MinMTU(), f.Floor(), f.base())
		}
		if f.MTU(1472) != tt.mtuOf1472 || f.MTU(0) != tt.mtuOfNone || f.MTU(-5) != tt.mtuOfNone {
			t.Errorf("%s: MTU(1472) %d, MTU(0) %d, MTU(-5) %d", tt.addr, f.MTU(1472), f.MTU(0), f.MTU(-5))
		}
		for _, m := range []MTU{0, 1, f.MTU(0), 1280, 9000} {
			p := f.Payload(m)
			if p < 0 || p > 0 && f.MTU(p) != m || p == 0 && m > f.MTU(0) {
				t.Errorf("%v: Payload(%d) = %d, MTU of it %d", f, m, p, f.MTU(p))
			}
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
		name                    string
		in                      Config
		min, base, max, initial MTU
		nPla                    int
	}{
		{"zero", Config{}, 576, 1200, 1500, 1500, 14},
		{"IPv6", Config{Family: IPv6}, 1280, 1280, 1500, 1500, 11},
		{"jumbo", Config{Max: 9000}, 576, 1200, 9000, 9000, 15},
		{"Max below Min", Config{Family: IPv6, Max: 1000}, 1280, 1280, 1280, 1280, 1},
		{"Min below the IPv4 minimum", Config{Min: 10, Base: 50}, 68, 68, 1500, 1500, 14},
		{"Base above Max", Config{Max: 1100, Base: 1400}, 576, 1100, 1100, 1100, 2},
		{"Initial", Config{Max: 1500, Initial: 1400}, 576, 1200, 1500, 1400, 14},
		{"Initial above Max", Config{Max: 1500, Initial: 9000}, 576, 1200, 1500, 1500, 14},
		{"Initial below Min", Config{Family: IPv6, Initial: 1000}, 1280, 1280, 1500, 1280, 11},
		{"no plateaus", Config{Plateaus: []MTU{}}, 576, 1200, 1500, 1500, 0},
		{"odd plateaus", Config{Plateaus: []MTU{1400, 1400, 99999, 1, 1300}}, 576, 1200, 1500, 1500, 2},
	}
	for _, tt := range tests {
		c := tt.in.normalize()
		if c.Min != tt.min || c.Base != tt.base || c.Max != tt.max || c.Initial != tt.initial || len(c.Plateaus) != tt.nPla {
			t.Errorf("%s: Min %d Base %d Max %d Initial %d, %d plateaus; want %d %d %d %d %d",
				tt.name, c.Min, c.Base, c.Max, c.Initial, len(c.Plateaus), tt.min, tt.base, tt.max, tt.initial, tt.nPla)
		}
		if c.MaxProbes != 3 || c.ProbeTimeout != DefaultProbeTimeout || c.RaiseTimeout != DefaultRaiseTimeout || c.ConfirmTimeout != DefaultConfirmTimeout {
			t.Errorf("%s: timers %+v", tt.name, c)
		}
	}
}
