package record

import (
	"bytes"
	"testing"
)

func TestContentTypeString(t *testing.T) {
	tests := []struct {
		t    ContentType
		want string
	}{
		{ChangeCipherSpec, "change_cipher_spec"},
		{Alert, "alert"},
		{Handshake, "handshake"},
		{ApplicationData, "application_data"},
		{Heartbeat, "heartbeat"},
		{0, "ContentType(0)"},
		{25, "ContentType(25)"},
		{255, "ContentType(255)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("ContentType(%d).String() = %q, want %q", uint8(tt.t), got, tt.want)
		}
	}
}

// headerTests are headers and their encodings, written out by hand from
// RFC 6347, Section 4.1.
var headerTests = []struct {
	name string
	h    Header
	enc  string
}{
	{
		name: "ClientHello",
		h:    Header{Type: Handshake, Version: VersionDTLS10, Epoch: 0, Seq: 0, Length: 0x00c0},
		enc:  "16" + "feff" + "0000" + "000000000000" + "00c0",
	},
	{
		name: "Finished",
		h:    Header{Type: Handshake, Version: VersionDTLS12, Epoch: 1, Seq: 0, Length: 0x0030},
		enc:  "16" + "fefd" + "0001" + "000000000000" + "0030",
	},
	{
		name: "ApplicationData",
		h:    Header{Type: ApplicationData, Version: VersionDTLS12, Epoch: 0x1234, Seq: 0x0102030405, Length: 1},
		enc:  "17" + "fefd" + "1234" + "000102030405" + "0001",
	},
	{
		name: "MaxSeq",
		h:    Header{Type: Alert, Version: VersionDTLS12, Epoch: 0xffff, Seq: MaxSeq, Length: 0},
		enc:  "15" + "fefd" + "ffff" + "ffffffffffff" + "0000",
	},
	{
		name: "MaxCiphertext",
		h:    Header{Type: Heartbeat, Version: VersionDTLS12, Epoch: 2, Seq: 1 << 32, Length: MaxCiphertext},
		enc:  "18" + "fefd" + "0002" + "000100000000" + "4800",
	},
	{
		name: "UnknownType",
		h:    Header{Type: 99, Version: 0xfe00, Epoch: 3, Seq: 77, Length: 2},
		enc:  "63" + "fe00" + "0003" + "00000000004d" + "0002",
	},
}

func TestHeaderAppendSplit(t *testing.T) {
	for _, tt := range headerTests {
		t.Run(tt.name, func(t *testing.T) {
			enc := mustHex(t, tt.enc)
			if got := tt.h.Append(nil); !bytes.Equal(got, enc) {
				t.Fatalf("Append = %x, want %x", got, enc)
			}
			if got := tt.h.Append([]byte{1, 2}); !bytes.Equal(got[2:], enc) || got[0] != 1 || got[1] != 2 {
				t.Fatalf("Append to a prefix = %x", got)
			}

			fragment := testPlaintext(int(tt.h.Length))
			next := []byte{0x17, 0xfe, 0xfd}
			datagram := append(append(enc, fragment...), next...)
			h, gotFragment, rest, ok := Split(datagram)
			if !ok {
				t.Fatal("Split failed")
			}
			if h != tt.h {
				t.Errorf("Split header = %+v, want %+v", h, tt.h)
			}
			if !bytes.Equal(gotFragment, fragment) || !bytes.Equal(rest, next) {
				t.Errorf("Split = fragment %x, rest %x", gotFragment, rest)
			}
			if cap(gotFragment) != len(gotFragment) {
				t.Errorf("fragment capacity %d runs past its length %d", cap(gotFragment), len(gotFragment))
			}

			// No proper prefix of the record parses.
			record := datagram[:HeaderLen+len(fragment)]
			for i := range len(record) {
				if _, _, _, ok := Split(record[:i]); ok {
					t.Fatalf("Split accepted a %d-byte prefix of a %d-byte record", i, len(record))
				}
			}
		})
	}
}

func TestHeaderAppendTruncatesSeq(t *testing.T) {
	h := Header{Type: ApplicationData, Version: VersionDTLS12, Seq: 1<<48 | 5}
	want := mustHex(t, "17fefd0000"+"000000000005"+"0000")
	if got := h.Append(nil); !bytes.Equal(got, want) {
		t.Errorf("Append = %x, want %x", got, want)
	}
}

func TestSplitRejects(t *testing.T) {
	tests := []struct {
		name     string
		datagram string
		pad      int // zero bytes appended, so that only the length is at fault
	}{
		{"empty", "", 0},
		{"one byte", "16", 0},
		{"short header", "16fefd0000000000000000", 0},
		{"header without length", "16fefd000000000000000000", 0},
		{"length past datagram", "16fefd0000000000000000" + "0002" + "01", 0},
		{"length past empty datagram", "16fefd0000000000000000" + "0001", 0},
		{"TLS 1.2 version", "16" + "0303" + "0000000000000000" + "0000", 0},
		{"SSL 3 version", "16" + "0300" + "0000000000000000" + "0000", 0},
		{"major 255", "16" + "fffd" + "0000000000000000" + "0000", 0},
		{"major 253", "16" + "fdfd" + "0000000000000000" + "0000", 0},
		{"length over MaxCiphertext", "17fefd0001000000000001" + "4801", 0x10000},
		{"length 0xffff", "17fefd0001000000000001" + "ffff", 0x10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			datagram := append(mustHex(t, tt.datagram), make([]byte, tt.pad)...)
			h, fragment, rest, ok := Split(datagram)
			if ok || h != (Header{}) || fragment != nil || rest != nil {
				t.Errorf("Split(%s) = %+v, %x, %x, %v; want failure", tt.datagram, h, fragment, rest, ok)
			}
		})
	}
}

func TestSplitDatagram(t *testing.T) {
	// A flight in one datagram: three records, the last one empty.
	var datagram []byte
	want := []Header{
		{Type: Handshake, Version: VersionDTLS12, Epoch: 0, Seq: 3, Length: 5},
		{Type: ChangeCipherSpec, Version: VersionDTLS12, Epoch: 0, Seq: 4, Length: 1},
		{Type: Handshake, Version: VersionDTLS12, Epoch: 1, Seq: 0, Length: 0},
	}
	for _, h := range want {
		datagram = h.Append(datagram)
		datagram = append(datagram, testPlaintext(int(h.Length))...)
	}
	rest := datagram
	for i, w := range want {
		var h Header
		var fragment []byte
		var ok bool
		h, fragment, rest, ok = Split(rest)
		if !ok || h != w || len(fragment) != int(w.Length) {
			t.Fatalf("record %d: Split = %+v, %d bytes, %v; want %+v", i, h, len(fragment), ok, w)
		}
	}
	if len(rest) != 0 {
		t.Errorf("%d bytes left over", len(rest))
	}
}

func TestSplitAllocs(t *testing.T) {
	h := headerTests[2].h
	datagram := append(h.Append(nil), testPlaintext(int(h.Length))...)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, _, ok := Split(datagram); !ok {
			t.Fatal("Split failed")
		}
	})
	if allocs != 0 {
		t.Errorf("Split allocates %v times", allocs)
	}
}

// FuzzSplit checks that Split never panics and that what it accepts, put
// back together with Append, is the datagram it was given.
func FuzzSplit(f *testing.F) {
	for _, tt := range headerTests {
		f.Add(append(mustHex(f, tt.enc), testPlaintext(int(tt.h.Length))...))
	}
	// A record sealed with AES-GCM followed by the start of another.
	c := newTestGCM(f)
	f.Add(append(AppendRecord(nil, testHeader, []byte("ping"), c), 0x16, 0xfe))
	f.Add([]byte{})
	// The datagrams of a real connection.
	for _, d := range readCapture(f, "testdata/openssl-dtls12-aes128gcm.txt").datagrams {
		f.Add(d.data)
	}

	f.Fuzz(func(t *testing.T, datagram []byte) {
		h, fragment, rest, ok := Split(datagram)
		if !ok {
			return
		}
		if int(h.Length) != len(fragment) || h.Length > MaxCiphertext || h.Version>>8 != 254 {
			t.Fatalf("Split accepted %+v with a %d-byte fragment", h, len(fragment))
		}
		got := append(append(h.Append(nil), fragment...), rest...)
		if !bytes.Equal(got, datagram) {
			t.Fatalf("Split→Append = %x, want %x", got, datagram)
		}
	})
}
