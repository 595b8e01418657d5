//go:build darwin || freebsd

package platform

// dontFragValue maps a mode to the value of an on/off option such as
// IP_DONTFRAG, and to the mode that value gives: such an option only sets
// the bit, and the kernel keeps clamping sends to its cached path MTU, so a
// probe request gives DFDo.
func dontFragValue(mode DFMode) (on int, got DFMode, err error) {
	switch mode {
	case DFProbe, DFDo:
		return 1, DFDo, nil
	case DFDont:
		return 0, DFDont, nil
	}
	return 0, 0, errBadMode(mode)
}
