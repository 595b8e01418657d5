package main

import "golang.org/x/crypto/cryptobyte"

// probeHeaderLen is the length of the header at the start of every probe:
// the token and the sequence number. Its 12 bytes fit in the shortest quote
// a router sends that goes beyond the UDP header.
const probeHeaderLen = tokenLen + 4

// tokenLen is the length of a run's random token.
const tokenLen = 8

// probe is the UDP payload of a probe datagram:
//
//	struct {
//	    opaque token[8];   // random, the same for every probe of one run
//	    uint32 seq;        // 1 for the first probe of the run, then counting up
//	    opaque padding[];  // zero bytes, up to the probe's size
//	} Probe;
//
// An echo service returns it whole; an ICMP error quotes its start. Either
// way the token shows that the answer is about this run, and the sequence
// number which probe it is about.
type probe struct {
	token   [tokenLen]byte
	seq     uint32
	padding int // number of zero bytes after the header
}

// marshal returns the probe's encoding.
func (p *probe) marshal() []byte {
	b := cryptobyte.NewBuilder(make([]byte, 0, probeHeaderLen+p.padding))
	b.AddBytes(p.token[:])
	b.AddUint32(p.seq)
	b.AddBytes(make([]byte, max(p.padding, 0)))
	return b.BytesOrPanic()
}

// unmarshal parses data, a whole probe or the start of one as an ICMP error
// quotes it. It reports false unless data holds at least the header and
// nothing but zero bytes after it.
func (p *probe) unmarshal(data []byte) bool {
	s := cryptobyte.String(data)
	var token []byte
	if !s.ReadBytes(&token, tokenLen) || !s.ReadUint32(&p.seq) {
		return false
	}
	copy(p.token[:], token)
	p.padding = len(s)
	for !s.Empty() {
		var z uint8
		if !s.ReadUint8(&z) || z != 0 {
			return false
		}
	}
	return true
}
