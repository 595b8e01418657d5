package handshake

import (
	"bytes"
	"testing"
)

func TestTypeString(t *testing.T) {
	tests := []struct {
		typ  Type
		want string
	}{
		{TypeHelloRequest, "HelloRequest"},
		{TypeClientHello, "ClientHello"},
		{TypeHelloVerifyRequest, "HelloVerifyRequest"},
		{TypeServerHelloDone, "ServerHelloDone"},
		{TypeFinished, "Finished"},
		{TypeNewSessionTicket, "NewSessionTicket"},
		{TypeEndOfEarlyData, "EndOfEarlyData"},
		{TypeEncryptedExtensions, "EncryptedExtensions"},
		{TypeRequestConnectionID, "RequestConnectionId"},
		{TypeNewConnectionID, "NewConnectionId"},
		{TypeKeyUpdate, "KeyUpdate"},
		{TypeMessageHash, "MessageHash"},
		{6, "Type(6)"}, // hello_retry_request_RESERVED: a HelloRetryRequest is a ServerHello
		{7, "Type(7)"},
		{21, "Type(21)"},
		{255, "Type(255)"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tt.typ), got, tt.want)
		}
	}
}

func TestHeaderAppend(t *testing.T) {
	h := Header{
		Type:           TypeCertificate,
		Length:         0x0102a3,
		MessageSeq:     0x0405,
		FragmentOffset: 0x000100,
		FragmentLength: 0x0001f4,
	}
	want := unhex(t,
		"0b",     // msg_type: certificate
		"0102a3", // length
		"0405",   // message_seq
		"000100", // fragment_offset
		"0001f4", // fragment_length
	)
	if got := h.Append(nil); !bytes.Equal(got, want) {
		t.Errorf("Append(nil) = %x, want %x", got, want)
	}
	prefix := []byte{0xde, 0xad}
	got := h.Append(prefix)
	if len(got) != len(prefix)+HeaderLen || !bytes.Equal(got[:2], prefix) || !bytes.Equal(got[2:], want) {
		t.Errorf("Append(%x) = %x, want the prefix then %x", prefix, got, want)
	}
	// Only 24 bits of the 24-bit fields are written.
	h.Length |= 0xff000000
	if got := h.Append(nil); !bytes.Equal(got, want) {
		t.Errorf("Append with high bits set = %x, want %x", got, want)
	}
}

func TestParseFragment(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		ok       bool
		h        Header
		fragment string
		rest     string
	}{
		{
			name:     "whole message",
			in:       "0e 000000 0005 000000 000000",
			ok:       true,
			h:        Header{Type: TypeServerHelloDone, MessageSeq: 5},
			fragment: "",
		},
		{
			name:     "middle fragment then another fragment",
			in:       "0b 000010 0002 000004 000003 aabbcc" + "0e 000000 0003 000000 000000",
			ok:       true,
			h:        Header{Type: TypeCertificate, Length: 16, MessageSeq: 2, FragmentOffset: 4, FragmentLength: 3},
			fragment: "aabbcc",
			rest:     "0e 000000 0003 000000 000000",
		},
		{
			name:     "last fragment, trailing garbage kept as rest",
			in:       "14 00000c 0006 000008 000004 01020304 ff",
			ok:       true,
			h:        Header{Type: TypeFinished, Length: 12, MessageSeq: 6, FragmentOffset: 8, FragmentLength: 4},
			fragment: "01020304",
			rest:     "ff",
		},
		{name: "empty", in: ""},
		{name: "short header", in: "0e 000000 0005 000000 0000"},
		{name: "fragment runs past the end", in: "14 00000c 0006 000000 00000c 0102030405060708090a0b"},
		{name: "fragment ends past the message", in: "14 00000c 0006 000008 000005 0102030405"},
		{name: "offset past the message", in: "14 00000c 0006 00000d 000000"},
		{name: "fragment longer than the message", in: "14 000002 0006 000000 000003 010203"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fragment, rest, ok := ParseFragment(unhex(t, tt.in))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				if h != (Header{}) || fragment != nil || rest != nil {
					t.Errorf("failure returned %+v, %x, %x; want zero values", h, fragment, rest)
				}
				return
			}
			if h != tt.h || !bytes.Equal(fragment, unhex(t, tt.fragment)) || !bytes.Equal(rest, unhex(t, tt.rest)) {
				t.Errorf("got %+v, %x, %x; want %+v, %s, %s", h, fragment, rest, tt.h, tt.fragment, tt.rest)
			}
		})
	}
}

func TestParseFragmentClipsFragment(t *testing.T) {
	in := unhex(t, "14 00000c 0006 000000 000002 0102", "0e 000000 0007 000000 000000")
	_, fragment, _, ok := ParseFragment(in)
	if !ok {
		t.Fatal("ParseFragment failed")
	}
	if cap(fragment) != len(fragment) {
		t.Errorf("fragment has capacity %d beyond its length %d: appending would overwrite rest", cap(fragment), len(fragment))
	}
}

// TestParseFragmentRoundTrip splits real messages into fragments, packs
// them into one record plaintext, and parses them back.
func TestParseFragmentRoundTrip(t *testing.T) {
	msgs := loadCapture(t, "openssl-dtls12-ecdsa.txt")
	const step = 100
	var record []byte
	var want []Header
	for _, m := range msgs {
		for off := 0; off == 0 || off < len(m.body); off += step {
			frag := m.body[off:min(off+step, len(m.body))]
			h := Header{m.typ, uint32(len(m.body)), m.seq, uint32(off), uint32(len(frag))}
			want = append(want, h)
			record = append(h.Append(record), frag...)
		}
	}
	rest := record
	for i, wh := range want {
		h, frag, r, ok := ParseFragment(rest)
		if !ok || h != wh || len(frag) != int(wh.FragmentLength) {
			t.Fatalf("fragment %d: got %+v (ok %v), want %+v", i, h, ok, wh)
		}
		rest = r
	}
	if len(rest) != 0 {
		t.Errorf("%d bytes left over", len(rest))
	}
}

func FuzzFragment(f *testing.F) {
	for _, cf := range captureFiles {
		for _, m := range loadCapture(f, cf.name) {
			h := Header{m.typ, uint32(len(m.body)), m.seq, 0, uint32(len(m.body))}
			f.Add(append(h.Append(nil), m.body...))
		}
	}
	f.Add(unhex(f, "0b 000010 0002 000004 000003 aabbcc", "0e 000000 0003 000000 000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, fragment, rest, ok := ParseFragment(b)
		if !ok {
			return
		}
		if uint32(len(fragment)) != h.FragmentLength || h.FragmentOffset+h.FragmentLength > h.Length {
			t.Fatalf("ParseFragment(%x) = %+v with a %d-byte fragment", b, h, len(fragment))
		}
		again := append(append(h.Append(nil), fragment...), rest...)
		if !bytes.Equal(again, b) {
			t.Fatalf("ParseFragment(%x) = %+v, %x, %x, which re-encodes to %x", b, h, fragment, rest, again)
		}
	})
}
