package record

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// FuzzParseUnified checks that ParseUnified never panics, and that what it
// accepts is a well-formed record: hdr, body and rest put back together
// are the datagram, the length field is the body's, and Open can find the
// sequence number. Its seeds are the datagrams and records of pion/dtls
// v4's captured sessions, and records of each suite and header form.
func FuzzParseUnified(f *testing.F) {
	for _, s := range loadSessions13(f) {
		for _, d := range s.Datagrams {
			f.Add(mustHex(f, d.Hex), uint8(s.cidLen(d.From)))
		}
		s.unifiedRecords13(f, func(from string, record []byte) {
			f.Add(record, uint8(s.cidLen(from)))
		})
	}
	for _, tt := range unifiedTests {
		f.Add(mustHex(f, strip(tt.in)), uint8(tt.cidLen))
	}
	for _, s := range suites13 {
		c := newTestCipher13(f, s)
		f.Add(c.AppendRecord(nil, 3, 7, testCID13, ApplicationData, []byte("hi"), 0), uint8(len(testCID13)))
		f.Add(sealForm13(c, 0x21, nil, 7, []byte("hi\x17")), uint8(0))
	}

	f.Fuzz(func(t *testing.T, datagram []byte, cidLen uint8) {
		hdr, body, rest, err := ParseUnified(datagram, int(cidLen))
		if err != nil {
			return
		}
		if got := append(append(bytes.Clone(hdr), body...), rest...); !bytes.Equal(got, datagram) {
			t.Fatalf("hdr %x body %x rest %x, from %x", hdr, body, rest, datagram)
		}
		off, n, ok := unifiedSeq(hdr)
		switch {
		case !ok || n != seqLen13(hdr[0]) || len(body) > MaxCiphertext13:
			t.Fatalf("ParseUnified accepted %x, body of %d bytes", hdr, len(body))
		case hdr[0]&unifiedC != 0 && (cidLen == 0 || off != 1+int(cidLen)):
			t.Fatalf("ParseUnified accepted %x with a %d-byte CID", hdr, cidLen)
		case hdr[0]&unifiedL == 0 && len(rest) != 0:
			t.Fatalf("rest %x after a record without a length", rest)
		case hdr[0]&unifiedL != 0 && int(hdr[len(hdr)-2])<<8|int(hdr[len(hdr)-1]) != len(body):
			t.Fatalf("length field of %x, body of %d bytes", hdr, len(body))
		}
	})
}

// fuzzOpener13 is one of FuzzOpen13's fixed keys: a cipher, the length of
// the CIDs it receives, and its epoch.
type fuzzOpener13 struct {
	c      *Cipher13
	cidLen int
	epoch  uint64
}

// fuzzOpeners13 returns FuzzOpen13's keys: one per suite under the test
// secret, with and without a CID, then the server's application keys of
// each captured session; and seeds for them: records that they open, each
// after the index of its key.
func fuzzOpeners13(f testing.TB) (openers []fuzzOpener13, seeds [][]byte) {
	seed := func(record []byte) { seeds = append(seeds, append([]byte{byte(len(openers) - 1)}, record...)) }
	for _, s := range suites13 {
		sealer := newTestCipher13(f, s)
		for _, cid := range [][]byte{nil, testCID13} {
			openers = append(openers, fuzzOpener13{newTestCipher13(f, s), len(cid), 3})
			seed(sealer.AppendRecord(nil, 3, 0x105, cid, ApplicationData, []byte("fuzz me"), 0))
			seed(sealer.AppendRecord(nil, 3, 0x1ff, cid, Alert, []byte{2, 10}, 9))
			seed(sealer.AppendRecord(nil, 3, 0x100, cid, 0, make([]byte, 8), 0))
			flags := byte(0x23)
			if cid != nil {
				flags |= unifiedC
			}
			seed(sealForm13(sealer, flags, cid, 0x100, []byte("x\x16")))
		}
	}
	for _, s := range loadSessions13(f) {
		r := newReceiver13(f, s, "server")
		openers = append(openers, fuzzOpener13{r.cipher(f, 3), s.cidLen("server"), 3})
		s.unifiedRecords13(f, func(from string, record []byte) {
			if from == "server" && record[0]&3 == 3 {
				seed(record)
			}
		})
	}
	return openers, seeds
}

// FuzzOpen13 checks that Open never panics on any record under fixed keys,
// and that a record it opens is one that AppendRecord seals to the same
// bytes, when it has AppendRecord's header form. The input's first byte
// picks the key, and the record follows; the sequence number the receiver
// expects is exp << (shift % 33). (Two small integers rather than one
// uint64, which the fuzzer would minimize by counting down one by one.)
// Its seeds are records sealed by AppendRecord and by pion/dtls v4.
func FuzzOpen13(f *testing.F) {
	openers, seeds := fuzzOpeners13(f)
	for _, seed := range seeds {
		f.Add(seed, uint16(0x100), uint8(0))
	}

	f.Fuzz(func(t *testing.T, in []byte, exp uint16, shift uint8) {
		expected := uint64(exp) << (shift % 33)
		if len(in) == 0 {
			return
		}
		o := openers[int(in[0])%len(openers)]
		hdr, body, _, err := ParseUnified(in[1:], o.cidLen)
		if err != nil {
			return
		}
		record := bytes.Clone(in[1 : 1+len(hdr)+len(body)])
		typ, content, seq, err := o.c.Open(hdr, body, o.epoch, expected)
		if err != nil {
			return
		}
		if typ == 0 || len(content) > MaxPlaintext || seq > MaxSeq {
			t.Fatalf("Open(%x) = %v, %d bytes, seq %#x", record, typ, len(content), seq)
		}
		if record[0]&(unifiedS|unifiedL) != unifiedS|unifiedL {
			return
		}
		cid := record[1 : 1+o.cidLen*int(record[0]>>4&1)]
		padding := len(record) - HeaderLen13(len(cid)) - o.c.tag - len(content) - 1
		if got := o.c.AppendRecord(nil, o.epoch, seq, cid, typ, content, padding); !bytes.Equal(got, record) {
			t.Fatalf("opened %x, sealed again as %x", record, hex.EncodeToString(got))
		}
	})
}

// FuzzParseACK checks that ParseACK never panics, holds at most
// MaxACKRecordNumbers numbers, and that what it accepts AppendACK encodes
// back exactly.
func FuzzParseACK(f *testing.F) {
	for _, tt := range ackTests {
		f.Add(mustHex(f, tt.enc))
	}
	// The ACKs pion/dtls v4 sent in its sessions.
	for _, s := range loadSessions13(f) {
		for _, from := range []string{"client", "server"} {
			r := newReceiver13(f, s, from)
			s.unifiedRecords13(f, func(sender string, record []byte) {
				if sender != from {
					return
				}
				if o := r.open(f, record, s.cidLen(from)); o.typ == ACK {
					f.Add(o.content)
				}
			})
		}
	}
	f.Add(AppendACK(nil, make([]RecordNumber, MaxACKRecordNumbers)))

	f.Fuzz(func(t *testing.T, b []byte) {
		nums, err := ParseACK(b, nil)
		if err != nil {
			return
		}
		if len(nums) > MaxACKRecordNumbers {
			t.Fatalf("%d record numbers", len(nums))
		}
		if got := AppendACK(nil, nums); !bytes.Equal(got, b) {
			t.Fatalf("ParseACK(%x) = %v, encoded as %x", b, nums, got)
		}
	})
}

// TestFuzzOpen13Seeds checks that FuzzOpen13's seeds open, so that the
// fuzzer starts from records that pass (the all-zero plaintexts with
// ErrNoContentType), and that pion/dtls's sessions hold ACKs.
func TestFuzzOpen13Seeds(t *testing.T) {
	openers, seeds := fuzzOpeners13(t)
	for i, seed := range seeds {
		o := openers[seed[0]]
		hdr, body, _, err := ParseUnified(seed[1:], o.cidLen)
		if err == nil {
			_, _, _, err = o.c.Open(hdr, body, o.epoch, 0x100)
		}
		if err != nil && err != ErrNoContentType {
			t.Errorf("seed %d (%x) does not open: %v", i, seed, err)
		}
	}
	acks := 0
	for _, s := range loadSessions13(t) {
		r := newReceiver13(t, s, "client")
		s.unifiedRecords13(t, func(from string, record []byte) {
			if from == "client" && r.open(t, record, s.cidLen(from)).typ == ACK {
				acks++
			}
		})
	}
	if acks == 0 {
		t.Error("no ACK from a pion/dtls client")
	}
	t.Logf("%d seeds, %d ACKs from pion/dtls clients", len(seeds), acks)
}
