package main

import (
	"bytes"
	"encoding/hex"
	"testing"
)

var testToken = [tokenLen]byte{0x5a, 0x17, 0xc3, 0x08, 0x9e, 0x42, 0xd1, 0x6b}

func TestProbeKnownAnswer(t *testing.T) {
	p := probe{token: testToken, seq: 0x01020304, padding: 4}
	want, _ := hex.DecodeString("5a17c3089e42d16b" + "01020304" + "00000000")
	got := p.marshal()
	if !bytes.Equal(got, want) {
		t.Fatalf("marshal = %x; want %x", got, want)
	}
	var q probe
	if !q.unmarshal(want) || q != p {
		t.Fatalf("unmarshal = %+v; want %+v", q, p)
	}
}

func TestProbeRoundTrip(t *testing.T) {
	for _, padding := range []int{0, 1, 1172, 1452, 65495} {
		p := probe{token: testToken, seq: 7, padding: padding}
		b := p.marshal()
		if len(b) != probeHeaderLen+padding {
			t.Errorf("padding %d: %d bytes; want %d", padding, len(b), probeHeaderLen+padding)
		}
		var q probe
		if !q.unmarshal(b) || q != p {
			t.Errorf("padding %d: round trip gave %+v", padding, q)
		}
	}
	if b := (&probe{padding: -5}).marshal(); len(b) != probeHeaderLen {
		t.Errorf("negative padding: %d bytes; want the header alone", len(b))
	}
}

// TestProbePrefixes checks what a quote of a probe parses to. A prefix
// shorter than the header does not parse; a longer one, which is what an
// ICMP error quotes, parses to the same token and sequence number with less
// padding, so that any quote long enough identifies its probe.
func TestProbePrefixes(t *testing.T) {
	p := probe{token: testToken, seq: 42, padding: 40}
	b := p.marshal()
	for n := range len(b) + 1 {
		var q probe
		ok := q.unmarshal(b[:n])
		switch {
		case n < probeHeaderLen && ok:
			t.Errorf("a %d-byte prefix parsed", n)
		case n >= probeHeaderLen && (!ok || q.token != p.token || q.seq != p.seq || q.padding != n-probeHeaderLen):
			t.Errorf("a %d-byte prefix: ok %v, %+v", n, ok, q)
		}
	}
}

func TestProbeRejects(t *testing.T) {
	good := (&probe{token: testToken, seq: 1, padding: 8}).marshal()
	for i := probeHeaderLen; i < len(good); i++ {
		b := bytes.Clone(good)
		b[i] = 1
		var q probe
		if q.unmarshal(b) {
			t.Errorf("a probe with padding byte %d set parsed", i)
		}
	}
}

func FuzzProbe(f *testing.F) {
	f.Add((&probe{token: testToken, seq: 1, padding: 1188}).marshal())
	f.Add((&probe{token: testToken, seq: 3, padding: 508}).marshal()) // an ICMPv4 quote
	f.Add((&probe{token: testToken, seq: 0xffffffff}).marshal())
	f.Add([]byte("not a probe at all"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p probe
		if !p.unmarshal(b) {
			return
		}
		if again := p.marshal(); !bytes.Equal(again, b) {
			t.Fatalf("%x parsed to %+v, which encodes as %x", b, p, again)
		}
	})
}
