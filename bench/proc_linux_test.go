//go:build linux

package main

import "testing"

func TestSNMPField(t *testing.T) {
	snmp := []byte("Ip: Forwarding DefaultTTL\nIp: 1 64\n" +
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n" +
		"Udp: 1804185 59426 24236 1919013 24237 0\n" +
		"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n" +
		"UdpLite: 0 0 0 0 7 0\n")
	if v, ok := snmpField(snmp, "Udp:", "RcvbufErrors"); !ok || v != 24237 {
		t.Errorf("Udp: RcvbufErrors = %d, %v; want 24237", v, ok)
	}
	if _, ok := snmpField(snmp, "Udp:", "NoSuchField"); ok {
		t.Error("found a field that is not there")
	}
	if _, ok := snmpField(snmp[:40], "Udp:", "RcvbufErrors"); ok {
		t.Error("found a field without its table")
	}
	if _, ok := udpRcvbufErrors(); !ok {
		t.Error("cannot read /proc/net/snmp")
	}
}

func TestCPUTicks(t *testing.T) {
	busy, total, cpus, ok := cpuTicks()
	if !ok || busy > total || total == 0 || cpus < 1 {
		t.Errorf("cpuTicks() = %d, %d, %d, %v", busy, total, cpus, ok)
	}
}
