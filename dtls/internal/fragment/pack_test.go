package fragment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// layout describes a packed record: its epoch and type and, for a handshake
// record, the (seq, offset, length) of each fragment.
type layout struct {
	epoch uint16
	typ   uint8
	frags [][3]int
}

func describe(t *testing.T, dgrams [][]Record) [][]layout {
	t.Helper()
	var out [][]layout
	for _, d := range dgrams {
		var ls []layout
		for _, r := range d {
			l := layout{epoch: r.Epoch, typ: r.Type}
			if r.Type == typeHandshake {
				for _, f := range parseHandshakeRecord(t, r.Payload) {
					l.frags = append(l.frags, [3]int{int(f.h.MessageSeq), int(f.h.FragmentOffset), int(f.h.FragmentLength)})
				}
			}
			ls = append(ls, l)
		}
		out = append(out, ls)
	}
	return out
}

func body(n int) []byte { return bytes.Repeat([]byte{0xab}, n) }

func TestPackLayout(t *testing.T) {
	const hs, ccs = typeHandshake, typeChangeCipherSpec
	gcm := sealings[1]
	sh := handshake.TypeServerHello
	tests := []struct {
		name   string
		flight []Out
		size   int
		want   [][]layout
	}{
		{"one record", []Out{{Seq: 0, Body: body(10)}, {Seq: 1, Body: body(20)}, {Seq: 2}}, 1500,
			[][]layout{{{0, hs, [][3]int{{0, 0, 10}, {1, 0, 20}, {2, 0, 0}}}}}},
		// 100 - 13 - 12 = 75 bytes of body fit in the first record.
		{"fragmented", []Out{{Body: body(200)}}, 100,
			[][]layout{{{0, hs, [][3]int{{0, 0, 75}}}}, {{0, hs, [][3]int{{0, 75, 75}}}}, {{0, hs, [][3]int{{0, 150, 50}}}}}},
		// The second message's first fragment fills the rest of the record.
		// Its last fragment ends its record: the third message starts
		// another, in the same datagram.
		{"shared record", []Out{{Seq: 0, Body: body(50)}, {Seq: 1, Body: body(100)}, {Seq: 2, Body: body(10)}}, 100,
			[][]layout{{{0, hs, [][3]int{{0, 0, 50}, {1, 0, 13}}}}, {{0, hs, [][3]int{{1, 13, 75}}}},
				{{0, hs, [][3]int{{1, 88, 12}}}, {0, hs, [][3]int{{2, 0, 10}}}}}},
		// The tail of a split message and two whole messages: the whole
		// ones share a record after the tail's. 50 + 13 + 12 + 5 + 12 + 3 = 95.
		{"tail ends its record", []Out{{Seq: 0, Body: body(100)}, {Seq: 1, Body: body(5)}, {Seq: 2, Body: body(3)}}, 100,
			[][]layout{{{0, hs, [][3]int{{0, 0, 75}}}},
				{{0, hs, [][3]int{{0, 75, 25}}}, {0, hs, [][3]int{{1, 0, 5}, {2, 0, 3}}}}}},
		// The second record header costs a datagram: 50 + 13 + 12 + 26 =
		// 101 bytes, where one record would have taken 88.
		{"tail's record header costs a datagram", []Out{{Seq: 0, Body: body(100)}, {Seq: 1, Body: body(26)}}, 100,
			[][]layout{{{0, hs, [][3]int{{0, 0, 75}}}},
				{{0, hs, [][3]int{{0, 75, 25}}}, {0, hs, [][3]int{{1, 0, 25}}}},
				{{0, hs, [][3]int{{1, 25, 1}}}}}},
		// A split message's tail before a ChangeCipherSpec ends its
		// record as before.
		{"tail then ccs", []Out{{Seq: 0, Body: body(100)}, {CCS: true}}, 100,
			[][]layout{{{0, hs, [][3]int{{0, 0, 75}}}}, {{0, hs, [][3]int{{0, 75, 25}}}, {0, ccs, nil}}}},
		// After the 60-byte handshake record and the 14-byte CCS record, 26
		// bytes are left: too few for a 1-byte fragment sealed with GCM, which
		// takes 13 + 8 + 12 + 1 + 16 = 50.
		{"epoch change", []Out{{Seq: 5, Body: body(35)}, {CCS: true}, {Epoch: 1, Seq: 6, Body: body(12)}}, 100,
			[][]layout{{{0, hs, [][3]int{{5, 0, 35}}}, {0, ccs, nil}}, {{1, hs, [][3]int{{6, 0, 12}}}}}},
		{"ccs alone", []Out{{CCS: true}, {Seq: 0, Body: body(1)}}, 100,
			[][]layout{{{0, ccs, nil}, {0, hs, [][3]int{{0, 0, 1}}}}}},
		{"one byte per datagram", []Out{{Body: body(3)}}, recordHeaderLen + handshake.HeaderLen + 1,
			[][]layout{{{0, hs, [][3]int{{0, 0, 1}}}}, {{0, hs, [][3]int{{0, 1, 1}}}}, {{0, hs, [][3]int{{0, 2, 1}}}}}},
		{"empty message in the smallest datagram", []Out{{Type: sh}}, recordHeaderLen + handshake.HeaderLen,
			[][]layout{{{0, hs, [][3]int{{0, 0, 0}}}}}},
		{"empty flight", nil, 100, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dgrams, err := Pack(tc.flight, tc.size, gcm.maxPlaintext())
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(t, dgrams); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("layout\n got %v\nwant %v", got, tc.want)
			}
			checkSizes(t, dgrams, tc.size, gcm)
		})
	}
}

func checkSizes(t *testing.T, dgrams [][]Record, size int, s sealing) {
	t.Helper()
	for i, d := range dgrams {
		total := 0
		for _, r := range d {
			total += s.wireSize(r)
			if len(r.Payload) > maxRecordPayload {
				t.Errorf("datagram %d: %d-byte record payload", i, len(r.Payload))
			}
		}
		if total > size {
			t.Errorf("datagram %d: %d bytes, limit %d", i, total, size)
		}
	}
}

func TestPackErrors(t *testing.T) {
	plain := sealings[0].maxPlaintext()
	tests := []struct {
		name   string
		flight []Out
		size   int
	}{
		{"no room for a byte", []Out{{Body: body(1)}}, recordHeaderLen + handshake.HeaderLen},
		{"no room for a header", []Out{{}}, recordHeaderLen + handshake.HeaderLen - 1},
		{"no room for CCS", []Out{{CCS: true}}, recordHeaderLen},
		{"zero", []Out{{CCS: true}}, 0},
		{"negative", []Out{{}}, -5},
		{"protected epoch needs more", []Out{{Body: body(1)}, {Epoch: 1, Body: body(1)}}, 30},
		{"body too long", []Out{{Body: make([]byte, maxBodyLen+1)}}, 1500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mp := plain
			if tc.name == "protected epoch needs more" {
				mp = sealings[1].maxPlaintext()
			}
			if d, err := Pack(tc.flight, tc.size, mp); err == nil {
				t.Errorf("Pack succeeded: %d datagrams", len(d))
			}
		})
	}
}

// TestPackReassemble packs random flights at random sizes under each sealing,
// then parses every record and reassembles the messages, in order and with the
// datagrams shuffled.
func TestPackReassemble(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		s := sealings[int(seed)%len(sealings)]
		size := 60 + rng.IntN(1441)
		flight, msgs := randomOutFlight(rng)
		t.Run(fmt.Sprintf("%d-%s-%d", seed, s.name, size), func(t *testing.T) {
			dgrams, err := Pack(flight, size, s.maxPlaintext())
			if err != nil {
				t.Fatal(err)
			}
			checkSizes(t, dgrams, size, s)
			checkOrder(t, dgrams, flight)
			checkRecordEnds(t, dgrams)
			checkDense(t, dgrams, size, s)
			rng.Shuffle(len(dgrams), func(i, j int) { dgrams[i], dgrams[j] = dgrams[j], dgrams[i] })
			r := NewReassembler(Limits{})
			var got []Message
			for _, d := range dgrams {
				for _, rec := range d {
					if rec.Type != typeHandshake {
						continue
					}
					for _, f := range parseHandshakeRecord(t, rec.Payload) {
						r.Push(f.h, f.body)
					}
					for m, ok := r.Pop(); ok; m, ok = r.Pop() {
						got = append(got, m)
					}
				}
			}
			checkSame(t, got, msgs)
		})
	}
}

// randomOutFlight returns a flight like a real one: handshake messages in epoch
// 0, maybe a ChangeCipherSpec and a Finished in epoch 1; and its messages.
func randomOutFlight(rng *rand.Rand) ([]Out, []Message) {
	msgs := randomFlight(rng, 0, 1+rng.IntN(5), 20000)
	var flight []Out
	for _, m := range msgs {
		flight = append(flight, Out{Type: m.Type, Seq: m.Seq, Body: m.Body})
	}
	if rng.IntN(2) == 0 {
		fin := Message{Type: handshake.TypeFinished, Seq: uint16(len(msgs)), Body: body(12)}
		flight = append(flight, Out{CCS: true}, Out{Epoch: 1, Type: fin.Type, Seq: fin.Seq, Body: fin.Body})
		msgs = append(msgs, fin)
	}
	return flight, msgs
}

// checkOrder checks that the records carry the flight's items in order: each
// message as consecutive fragments from offset 0, each of at least 1 byte
// unless the body is empty, in a record of the item's epoch.
func checkOrder(t *testing.T, dgrams [][]Record, flight []Out) {
	t.Helper()
	item, off := 0, 0
	for _, d := range dgrams {
		for _, r := range d {
			if item >= len(flight) {
				t.Fatalf("records after the last item")
			}
			if o := flight[item]; o.CCS {
				if r.Type != typeChangeCipherSpec || r.Epoch != o.Epoch || !bytes.Equal(r.Payload, []byte{1}) {
					t.Fatalf("item %d: want a ChangeCipherSpec record, got %+v", item, r)
				}
				item++
				continue
			}
			for _, f := range parseHandshakeRecord(t, r.Payload) {
				o := flight[item]
				if r.Epoch != o.Epoch || f.h.MessageSeq != o.Seq || int(f.h.FragmentOffset) != off ||
					(f.h.FragmentLength == 0 && len(o.Body) > 0) || !bytes.Equal(f.body, o.Body[off:off+len(f.body)]) {
					t.Fatalf("item %d at offset %d: got fragment %+v in epoch %d", item, off, f.h, r.Epoch)
				}
				if off += len(f.body); off == len(o.Body) {
					item, off = item+1, 0
				}
			}
		}
	}
	if item != len(flight) {
		t.Errorf("records carry %d items, want %d", item, len(flight))
	}
}

// checkRecordEnds checks that every fragment that is not a whole message is
// the last in its record: a split message's first and middle fragments fill
// their records, and its last fragment ends its record (see Pack).
func checkRecordEnds(t *testing.T, dgrams [][]Record) {
	t.Helper()
	for i, d := range dgrams {
		for j, r := range d {
			if r.Type != typeHandshake {
				continue
			}
			frags := parseHandshakeRecord(t, r.Payload)
			for k, f := range frags[:len(frags)-1] {
				if f.h.FragmentLength != f.h.Length {
					t.Fatalf("datagram %d record %d: fragment %d (%+v) of %d is not the last", i, j, k, f.h, len(frags))
				}
			}
		}
	}
}

// checkDense checks that no datagram ends while the next one's first record
// could have started in it: the datagram count is the least that the record
// rules allow. That record needs room for the ChangeCipherSpec byte, or for
// a fragment header and a byte of body unless the message is empty.
func checkDense(t *testing.T, dgrams [][]Record, size int, s sealing) {
	t.Helper()
	for i := 1; i < len(dgrams); i++ {
		used := 0
		for _, r := range dgrams[i-1] {
			used += s.wireSize(r)
		}
		next := dgrams[i][0]
		need := 1
		if next.Type == typeHandshake {
			need = handshake.HeaderLen
			if f := parseHandshakeRecord(t, next.Payload)[0]; f.h.Length > 0 {
				need++
			}
		}
		if room := s.maxPlaintext()(next.Epoch, size-used); room >= need {
			t.Fatalf("datagram %d ends with %d bytes free, room for a %d-byte record payload; datagram %d starts with one of %d",
				i-1, size-used, room, i, need)
		}
	}
}

// TestPackerReuse packs random flights with one Packer, and checks each
// result against a fresh Pack.
func TestPackerReuse(t *testing.T) {
	var p Packer
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 11))
		s := sealings[int(seed)%len(sealings)]
		size := 60 + rng.IntN(1441)
		flight, _ := randomOutFlight(rng)
		want, err := Pack(flight, size, s.maxPlaintext())
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Pack(flight, size, s.maxPlaintext())
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: a reused Packer packed\n%v\nwhere Pack packed\n%v", seed, got, want)
		}
	}
}
