//go:build windows

package platform

import "golang.org/x/sys/windows"

// pmtudisc maps a mode to Windows' IP_MTU_DISCOVER and IPV6_MTU_DISCOVER
// values (PMTUD_STATE in ws2ipdef.h), which are numbered differently from
// Linux's.
var pmtudisc = [...]int{
	DFProbe: windows.IP_PMTUDISC_PROBE,
	DFDo:    windows.IP_PMTUDISC_DO,
	DFDont:  windows.IP_PMTUDISC_DONT,
}

// dfOption names the options that set the mode for one address family: the
// discovery option, and the older on/off option used where Windows lacks it.
type dfOption struct {
	level              int
	discover, dontFrag int
	name, dontFragName string
}

var (
	dfIPv4 = dfOption{windows.IPPROTO_IP, windows.IP_MTU_DISCOVER, ipDontFragment, "IP_MTU_DISCOVER", "IP_DONTFRAGMENT"}
	dfIPv6 = dfOption{windows.IPPROTO_IPV6, windows.IPV6_MTU_DISCOVER, ipv6DontFrag, "IPV6_MTU_DISCOVER", "IPV6_DONTFRAG"}
)

// setDF sets the mode for the socket's family, and on a dual-stack socket
// for IPv4 as well, which may fail without failing the call.
func setDF(fd uintptr, s sockInfo, mode DFMode) (dfResult, error) {
	if int(mode) >= len(pmtudisc) {
		return dfResult{}, errBadMode(mode)
	}
	h := windows.Handle(fd)
	if !s.ipv6 {
		got, err := dfIPv4.set(h, mode)
		return dfResult{mode: got}, err
	}
	got, err := dfIPv6.set(h, mode)
	if err != nil {
		return dfResult{}, err
	}
	res := dfResult{mode: got}
	if s.dual {
		// Best effort: the IPv4 option on a dual-stack socket is reported
		// in DualStackDF, not required.
		got4, err := dfIPv4.set(h, mode)
		res.dualStack = err == nil && got4 == got
	}
	return res, nil
}

// set applies mode through the discovery option or, where Windows lacks it
// (before Windows 10 version 1703), through the on/off option, with which a
// probe request becomes DFDo.
func (o dfOption) set(h windows.Handle, mode DFMode) (DFMode, error) {
	err := windows.SetsockoptInt(h, o.level, o.discover, pmtudisc[mode])
	if err == nil {
		return mode, nil
	}
	on := 0
	if mode != DFDont {
		on = 1
	}
	if err2 := windows.SetsockoptInt(h, o.level, o.dontFrag, on); err2 != nil {
		return 0, sockoptError("setsockopt", o.name+" and "+o.dontFragName, err2)
	}
	if mode == DFProbe {
		return DFDo, nil
	}
	return mode, nil
}
