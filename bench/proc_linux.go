//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// udpRcvbufErrors returns the kernel's count of UDP datagrams dropped
// because a socket's receive buffer was full (/proc/net/snmp, "Udp:"
// RcvbufErrors), for the whole network namespace, and true.
func udpRcvbufErrors() (uint64, bool) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, false
	}
	return snmpField(b, "Udp:", "RcvbufErrors")
}

// snmpField returns the value of field in the table of /proc/net/snmp text
// b whose lines start with prefix: a line of names followed by a line of
// values.
func snmpField(b []byte, prefix, field string) (uint64, bool) {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != prefix {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == field && i < len(f) {
				v, err := strconv.ParseUint(f[i], 10, 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	return 0, false
}

// cpuTicks returns the ticks all CPUs spent busy and in total since boot,
// from the first line of /proc/stat (user nice system idle iowait irq
// softirq steal ...), and the number of CPUs it counts.
func cpuTicks() (busy, total uint64, cpus int, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case i == 0 && (len(f) < 6 || f[0] != "cpu"):
			return 0, 0, 0, false
		case i == 0:
			for j, s := range f[1:] {
				v, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					return 0, 0, 0, false
				}
				total += v
				if j != 3 && j != 4 { // idle, iowait
					busy += v
				}
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			cpus++
		}
	}
	return busy, total, cpus, cpus > 0
}

// loadAverage returns the system's load averages over 1, 5 and 15 minutes
// (/proc/loadavg), or "" where they cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
