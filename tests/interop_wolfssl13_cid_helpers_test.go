package tests

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// checkCIDs checks the connection IDs in the records of the application
// data epoch (3) that the relay saw: each record to the server must carry
// serverID, each to the client clientID, and none at all when the ID is
// empty (RFC 9147, Section 4: the C bit of the unified header). At least
// one such record must have gone each way.
func (r *relay) checkCIDs(t *testing.T, serverID, clientID []byte) {
	t.Helper()
	toServer, toClient := r.datagrams()
	for _, dir := range []struct {
		name      string
		datagrams [][]byte
		id        []byte
	}{{"to the server", toServer, serverID}, {"to the client", toClient, clientID}} {
		n := 0
		for i, d := range dir.datagrams {
			recs, ok := parseUnifiedRecords(d, len(dir.id))
			if !ok {
				t.Errorf("datagram %d %s does not parse with %d-byte IDs: %x", i, dir.name, len(dir.id), d)
				continue
			}
			for _, rec := range recs {
				if rec.epochBits != 3 {
					continue
				}
				n++
				if !bytes.Equal(rec.cid, dir.id) || (rec.cid == nil) != (len(dir.id) == 0) {
					t.Errorf("a record %s in epoch 3 carries ID %x (present %v), want %x", dir.name, rec.cid, rec.cid != nil, dir.id)
				}
			}
		}
		if n == 0 {
			t.Errorf("no record went %s in epoch 3", dir.name)
		}
	}
}

// unifiedRecord is what checkCIDs reads of a DTLSCiphertext record: the
// low two bits of its epoch and its connection ID, nil if the C bit is
// clear.
type unifiedRecord struct {
	epochBits uint8
	cid       []byte
}

// parseUnifiedRecords reads the records of datagram d (RFC 9147, Section
// 4): DTLSPlaintext records, which it skips, and DTLSCiphertext records
// with a unified header, whose ID, when the C bit is set, is cidLen bytes
// long. A record without a length runs to the end of the datagram.
func parseUnifiedRecords(d []byte, cidLen int) ([]unifiedRecord, bool) {
	var recs []unifiedRecord
	s := cryptobyte.String(d)
	for !s.Empty() {
		var first uint8
		if !s.ReadUint8(&first) {
			return nil, false
		}
		if first&0xe0 != 0x20 { // DTLSPlaintext: version, epoch, sequence number, length
			var body cryptobyte.String
			if !s.Skip(2+2+6) || !s.ReadUint16LengthPrefixed(&body) {
				return nil, false
			}
			continue
		}
		rec := unifiedRecord{epochBits: first & 0x03}
		if first&0x10 != 0 { // C
			if cidLen == 0 || !s.ReadBytes(&rec.cid, cidLen) {
				return nil, false
			}
		}
		seqLen := 1
		if first&0x08 != 0 { // S
			seqLen = 2
		}
		if !s.Skip(seqLen) {
			return nil, false
		}
		if first&0x04 != 0 { // L
			var body cryptobyte.String
			if !s.ReadUint16LengthPrefixed(&body) {
				return nil, false
			}
		} else {
			s = nil
		}
		recs = append(recs, rec)
	}
	return recs, true
}

// printableCID returns a Generate function for ConnectionIDConfig: random
// IDs of n bytes, each at least 0x10, so that the wolfSSL programs print
// them unambiguously (see peer.WolfSSLCIDHex).
func printableCID(n int) func() ([]byte, error) {
	return func() ([]byte, error) {
		id := make([]byte, n)
		if _, err := rand.Read(id); err != nil {
			return nil, fmt.Errorf("connection ID: %w", err)
		}
		for i := range id {
			id[i] = 0x10 + id[i]%0xf0
		}
		return id, nil
	}
}
