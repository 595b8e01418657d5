package pmtu

import (
	"slices"
	"testing"
)

// TestDefaultPlateausWithin checks the shared default plateaus against
// sortedPlateaus for every bound, and that changed defaults are sorted
// anew.
func TestDefaultPlateausWithin(t *testing.T) {
	for lo := MTU(0); lo <= 9100; lo += 37 {
		for hi := lo; hi <= 9100; hi += 53 {
			got, ok := defaultPlateausWithin(DefaultPlateaus, lo, hi)
			if want := sortedPlateaus(DefaultPlateaus, lo, hi); !ok || !slices.Equal(got, want) {
				t.Fatalf("[%d, %d]: %v, %v; want %v", lo, hi, got, ok, want)
			}
		}
	}
	if _, ok := defaultPlateausWithin([]MTU{1500, 1280}, 0, 9000); ok {
		t.Error("plateaus other than the defaults taken for them")
	}
	saved := DefaultPlateaus
	defer func() { DefaultPlateaus = saved }()
	DefaultPlateaus = []MTU{1400, 1300}
	if _, ok := defaultPlateausWithin(DefaultPlateaus, 0, 9000); ok {
		t.Error("changed defaults taken for the defaults at start")
	}
	if c := (Config{Family: IPv4, Max: 1500}).normalize(); !slices.Equal(c.Plateaus, []MTU{1400, 1300}) {
		t.Errorf("with changed defaults, the plateaus are %v", c.Plateaus)
	}
}
