package record

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestIsUnifiedHeader(t *testing.T) {
	for b := range 256 {
		want := b >= 0x20 && b <= 0x3f
		if got := IsUnifiedHeader(byte(b)); got != want {
			t.Errorf("IsUnifiedHeader(%#02x) = %v", b, got)
		}
	}
	for _, typ := range []ContentType{ChangeCipherSpec, Alert, Handshake, ApplicationData, Heartbeat, TLS12CID, ACK} {
		if IsUnifiedHeader(byte(typ)) {
			t.Errorf("IsUnifiedHeader(%v) = true", typ)
		}
	}
}

// unifiedTests are datagrams in each header form, with what ParseUnified
// makes of them.
var unifiedTests = []struct {
	name            string
	in              string
	cidLen          int
	hdr, body, rest string
}{
	{"S L", "2e0001 0003 aabbcc dd", 0, "2e00010003", "aabbcc", "dd"},
	{"8-bit seq, L", "2707 0002 aabb", 0, "27070002", "aabb", ""},
	{"no length", "2a0102 aabbccdd", 0, "2a0102", "aabbccdd", ""},
	{"8-bit seq, no length", "2301 aa", 0, "2301", "aa", ""},
	{"CID", "3f c1c2 0005 0001 ee 2f", 2, "3fc1c2000500 01", "ee", "2f"},
	{"CID, no length", "33 c1c2c3 09 eeff", 3, "33c1c2c309", "eeff", ""},
	{"no CID, CIDs negotiated", "2e0001 0000", 4, "2e00010000", "", ""},
	{"empty body", "28 0001", 0, "280001", "", ""},
}

func TestParseUnified(t *testing.T) {
	for _, tt := range unifiedTests {
		in := mustHex(t, strip(tt.in))
		hdr, body, rest, err := ParseUnified(in, tt.cidLen)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !bytes.Equal(hdr, mustHex(t, strip(tt.hdr))) || !bytes.Equal(body, mustHex(t, strip(tt.body))) ||
			!bytes.Equal(rest, mustHex(t, strip(tt.rest))) {
			t.Errorf("%s: ParseUnified = %x, %x, %x", tt.name, hdr, body, rest)
		}
		if cap(hdr) != len(hdr) || cap(body) != len(body) {
			t.Errorf("%s: capacity runs past hdr or body", tt.name)
		}
		// No prefix of a record with a length parses.
		if in[0]&unifiedL == 0 {
			continue
		}
		for n := range len(in) - len(rest) {
			if _, _, _, err := ParseUnified(in[:n], tt.cidLen); err == nil {
				t.Errorf("%s: ParseUnified accepted the %d-byte prefix", tt.name, n)
			}
		}
	}
}

func strip(s string) string { return strings.ReplaceAll(s, " ", "") }

func TestParseUnifiedRejects(t *testing.T) {
	h := func(s string) []byte { return mustHex(t, strip(s)) }
	long := binary.BigEndian.AppendUint16(h("2e0001"), MaxCiphertext13+1)
	long = append(long, make([]byte, MaxCiphertext13+1)...)
	tests := []struct {
		name   string
		in     []byte
		cidLen int
		err    error
	}{
		{"empty", nil, 0, errNotUnified},
		{"DTLSPlaintext", h("16fefd0000000000000000000100"), 0, errNotUnified},
		{"tls12_cid", h("19fefd00010000000000010001"), 0, errNotUnified},
		{"0x40", h("4e00010000"), 0, errNotUnified},
		{"CID not negotiated", h("3e c1c2c3c4 0001 0000"), 0, errUnwantedCID},
		{"CID too long", h("3e c1c2c3c4 0001 0000"), MaxCIDLen + 1, errUnwantedCID},
		{"short CID", h("3e c1c2"), 4, errShortRecord},
		{"no seq", h("2e00"), 0, errShortRecord},
		{"no 8-bit seq", h("23"), 0, errShortRecord},
		{"short length", h("2e000100"), 0, errShortRecord},
		{"length past the end", h("2e00010003aabb"), 0, errShortRecord},
		{"too long", long, 0, errLongRecord},
		{"too long, no length", append([]byte{0x2a, 0, 1}, make([]byte, MaxCiphertext13+1)...), 0, errLongRecord},
	}
	for _, tt := range tests {
		if _, _, _, err := ParseUnified(tt.in, tt.cidLen); err != tt.err {
			t.Errorf("%s: ParseUnified error %v, want %v", tt.name, err, tt.err)
		}
	}
}

func TestUnifiedSeq(t *testing.T) {
	for _, tt := range unifiedTests {
		hdr, _, _, err := ParseUnified(mustHex(t, strip(tt.in)), tt.cidLen)
		if err != nil {
			t.Fatal(err)
		}
		off, n, ok := unifiedSeq(hdr)
		if !ok || off != 1+tt.cidLen*int(hdr[0]>>4&1) || n != seqLen13(hdr[0]) {
			t.Errorf("%s: unifiedSeq(%x) = %d, %d, %v", tt.name, hdr, off, n, ok)
		}
	}
	for _, hdr := range []string{"", "16", "2e0001", "2e01", "3e0001", "2f000100", "3e00010000"} {
		if _, _, ok := unifiedSeq(mustHex(t, hdr)); ok {
			t.Errorf("unifiedSeq(%s) accepted", hdr)
		}
	}
}

func TestReconstructSeq(t *testing.T) {
	tests := []struct {
		wire     uint64
		bits     uint
		expected uint64
		want     uint64
	}{
		{0x00, 8, 0, 0},
		{0x05, 8, 0, 5},
		{0xff, 8, 0, 0xff}, // nothing below 0
		{0x00, 8, 0x100, 0x100},
		{0xff, 8, 0x100, 0xff},
		{0x7f, 8, 0x100, 0x17f},
		{0x80, 8, 0x100, 0x180}, // a tie between 0x80 and 0x180 goes up
		{0x81, 8, 0x100, 0x81},
		{0x01, 8, 0x1fe, 0x201}, // the field wraps just after expected
		{0xfd, 8, 0x202, 0x1fd}, // and just before
		{0xfffe, 16, 0x10001, 0xfffe},
		{0x0002, 16, 0xffff, 0x10002},
		{0x8000, 16, 0x10000, 0x18000},
		{0x8001, 16, 0x10000, 0x08001},
		{0x1234, 16, 0, 0x1234},
		{0x00, 8, MaxSeq, MaxSeq &^ 0xff}, // nothing above MaxSeq
		{0xff, 8, MaxSeq, MaxSeq},
		{0x00, 8, 1<<64 - 1, MaxSeq &^ 0xff}, // expected above MaxSeq
		{0xffff, 16, MaxSeq - 0x7fff, MaxSeq},
	}
	for _, tt := range tests {
		if got := ReconstructSeq(tt.wire, tt.bits, tt.expected); got != tt.want {
			t.Errorf("ReconstructSeq(%#x, %d, %#x) = %#x, want %#x", tt.wire, tt.bits, tt.expected, got, tt.want)
		}
	}
}

// TestReconstructSeqWindow checks that every sequence number within half
// the field's range of expected comes back whole.
func TestReconstructSeqWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		bits := uint(8 + 8*r.IntN(2))
		half := uint64(1) << (bits - 1)
		expected := r.Uint64N(MaxSeq + 1)
		if r.IntN(4) == 0 { // near the edges
			expected = r.Uint64N(4 * half)
		}
		seq := expected - half + r.Uint64N(2*half) // within (expected-half, expected+half]
		if seq+half < expected+1 || seq > MaxSeq || int64(seq) < 0 {
			continue
		}
		if got := ReconstructSeq(seq&(1<<bits-1), bits, expected); got != seq {
			t.Fatalf("ReconstructSeq(%#x, %d, %#x) = %#x, want %#x", seq&(1<<bits-1), bits, expected, got, seq)
		}
	}
}

func TestReconstructEpoch(t *testing.T) {
	tests := []struct {
		bits          uint8
		current, want uint64
	}{
		{2, 2, 2}, {3, 2, 3}, {1, 2, 1}, {0, 0, 0},
		{3, 3, 3}, {2, 3, 2}, // a late handshake record after the handshake
		{0, 4, 4}, {3, 4, 3}, {2, 4, 2}, {1, 4, 1},
		{1, 5, 5}, {0, 5, 4}, {3, 5, 3}, {2, 5, 2},
		{0, 1 << 40, 1 << 40}, {3, 1 << 40, 1<<40 - 1},
		{7, 6, 3}, // only the low two bits count
	}
	for _, tt := range tests {
		if got := ReconstructEpoch(tt.bits, tt.current); got != tt.want {
			t.Errorf("ReconstructEpoch(%d, %d) = %d, want %d", tt.bits, tt.current, got, tt.want)
		}
	}
	for e := range uint64(20) {
		if got := ReconstructEpoch(EpochBits(e), max(e, 4)); got != e && e >= 1 {
			t.Errorf("ReconstructEpoch(EpochBits(%d), %d) = %d", e, max(e, 4), got)
		}
	}
}
