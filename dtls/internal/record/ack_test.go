package record

import (
	"bytes"
	"slices"
	"testing"
)

// ackTests are ACK messages (RFC 9147, Section 7) and what they list.
var ackTests = []struct {
	enc  string
	nums []RecordNumber
}{
	{"0000", nil},
	{"0010" + "0000000000000002" + "0000000000000000", []RecordNumber{{2, 0}}},
	{"0020" + "0000000000000002" + "0000000000000001" + "0000000000000003" + "0000ffffffffffff",
		[]RecordNumber{{2, 1}, {3, MaxSeq}}},
	{"0010" + "ffffffffffffffff" + "ffffffffffffffff", []RecordNumber{{1<<64 - 1, 1<<64 - 1}}},
}

func TestACK(t *testing.T) {
	for _, tt := range ackTests {
		enc := mustHex(t, tt.enc)
		if got := AppendACK([]byte{0xaa}, tt.nums); !bytes.Equal(got[1:], enc) || got[0] != 0xaa {
			t.Errorf("AppendACK(%v) = %x, want %s", tt.nums, got[1:], tt.enc)
		}
		if ACKLen(len(tt.nums)) != len(enc) {
			t.Errorf("ACKLen(%d) = %d", len(tt.nums), ACKLen(len(tt.nums)))
		}
		into := []RecordNumber{{9, 9}}
		got, err := ParseACK(enc, into)
		if err != nil || !slices.Equal(got[1:], tt.nums) || got[0] != (RecordNumber{9, 9}) {
			t.Errorf("ParseACK(%s) = %v, %v", tt.enc, got, err)
		}
		for n := range len(enc) {
			if _, err := ParseACK(enc[:n], nil); err == nil {
				t.Errorf("ParseACK accepted the %d-byte prefix of %s", n, tt.enc)
			}
		}
		if _, err := ParseACK(append(enc, 0), nil); err == nil {
			t.Errorf("ParseACK accepted %s with a byte more", tt.enc)
		}
	}
}

func TestParseACKRejects(t *testing.T) {
	for _, enc := range []string{
		"",
		"00",
		"0001" + "00",
		"000f" + "000000000000000200000000000000",
		"0011" + "0000000000000002000000000000000000",
		"0010" + "0000000000000002000000000000000000", // a byte after the list
		"ffff",
	} {
		into := make([]RecordNumber, 1, 4)
		got, err := ParseACK(mustHex(t, enc), into)
		if err == nil || len(got) != 1 {
			t.Errorf("ParseACK(%s) = %v, %v", enc, got, err)
		}
	}
}

// TestACKLimits checks the longest ACK, and that AppendACK leaves out what
// does not fit in record_numbers<0..2^16-1>.
func TestACKLimits(t *testing.T) {
	nums := make([]RecordNumber, MaxACKRecordNumbers+3)
	for i := range nums {
		nums[i] = RecordNumber{Epoch: 3, Seq: uint64(i)}
	}
	enc := AppendACK(nil, nums)
	if len(enc) != ACKLen(len(nums)) || len(enc) != 2+16*4095 || ACKLen(-1) != 2 {
		t.Fatalf("ACK of %d bytes", len(enc))
	}
	got, err := ParseACK(enc, nil)
	if err != nil || !slices.Equal(got, nums[:MaxACKRecordNumbers]) {
		t.Fatalf("ParseACK: %d numbers, %v", len(got), err)
	}
	buf := make([]byte, 0, ACKLen(len(nums)))
	into := make([]RecordNumber, 0, MaxACKRecordNumbers)
	if n := testing.AllocsPerRun(10, func() {
		into, _ = ParseACK(AppendACK(buf, nums), into[:0])
	}); n != 0 {
		t.Errorf("%v allocations per ACK", n)
	}
}
