package tls13

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"testing"
)

// referenceExpandLabel is HKDF-Expand-Label written out from RFC 8446,
// Section 7.1 and RFC 5869, Section 2.3, without cryptobyte or crypto/hkdf,
// for the fuzz target to compare with.
func referenceExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	full := labelPrefix + label
	info := []byte{byte(length >> 8), byte(length), byte(len(full))}
	info = append(append(append(info, full...), byte(len(context))), context...)
	var out, t []byte
	for i := byte(1); len(out) < length; i++ {
		m := hmac.New(h.New, secret)
		m.Write(t)
		m.Write(info)
		m.Write([]byte{i})
		t = m.Sum(nil)
		out = append(out, t...)
	}
	return out[:length]
}

// FuzzExpandLabel checks that ExpandLabel never panics, returns nil exactly
// for arguments HkdfLabel and HKDF cannot take, and otherwise agrees with the
// reference. The seeds are expansions of RFC 8448's trace.
func FuzzExpandLabel(f *testing.F) {
	v := readVectors(f, "testdata/rfc8448.txt")
	sHS := v.get(f, "3/s hs traffic")
	f.Add(uint8(0), sHS, "key", []byte(nil), 16)
	f.Add(uint8(0), sHS, "iv", []byte(nil), 12)
	f.Add(uint8(0), sHS, "finished", []byte(nil), 32)
	f.Add(uint8(0), v.get(f, "3/handshake"), "c hs traffic", v.get(f, "3/hello hash"), 32)
	f.Add(uint8(1), v.get(f, "3/res master"), "resumption", []byte{0, 0}, 48)
	f.Add(uint8(2), []byte{}, "", []byte{}, 0)
	hashes := []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.Hash(0)}
	f.Fuzz(func(t *testing.T, sel uint8, secret []byte, label string, context []byte, length int) {
		h := hashes[int(sel)%len(hashes)]
		if length > 1<<14 {
			length = length%(1<<14) + 1<<14 // keep the reference cheap; still past 255*32
		}
		got := ExpandLabel(h, secret, label, context, length)
		valid := h.Available() && length >= 0 && length <= 255*h.Size() &&
			len(labelPrefix)+len(label) <= 255 && len(context) <= 255
		if !valid {
			if got != nil {
				t.Fatalf("ExpandLabel(%v, label %d bytes, context %d bytes, %d) = %d bytes, want nil",
					h, len(label), len(context), length, len(got))
			}
			return
		}
		if want := referenceExpandLabel(h, secret, label, context, length); !bytes.Equal(got, want) {
			t.Fatalf("ExpandLabel = %x, reference %x", got, want)
		}
	})
}

// FuzzTranscript drives a Transcript with a program of operations and
// checks every hash against the hash of the bytes it stands for. Each
// operation is a byte, then its operands:
//
//	0 typ n body[n]  Add(typ, body)
//	1                Sum
//	2                ReplaceWithMessageHash
//	3 n cut body[n]  BinderHash(body[:cut], n)
//
// The seeds add the messages of RFC 8448, Section 3.
func FuzzTranscript(f *testing.F) {
	v := readVectors(f, "testdata/rfc8448.txt")
	var seed []byte
	for _, m := range []string{"ClientHello", "ServerHello", "EncryptedExtensions", "server Finished"} {
		msg := v.get(f, "3/"+m)
		if body := msg[4:]; len(body) < 256 {
			seed = append(append(seed, 0, msg[0], byte(len(body))), body...)
			seed = append(seed, 1)
		}
	}
	f.Add(seed)
	f.Add(append([]byte{0, 1, 3, 'a', 'b', 'c', 2, 0, 2, 1, 'x', 3, 5, 2, 'p', 'q', 'r', 's', 't'}, seed...))
	f.Add([]byte{2, 1, 3, 0, 0})
	f.Fuzz(func(t *testing.T, prog []byte) {
		tr := NewTranscript(crypto.SHA256)
		var ref []byte // the bytes the transcript hashes
		for len(prog) > 0 {
			op := prog[0]
			prog = prog[1:]
			switch op % 4 {
			case 0, 3:
				if len(prog) < 2 {
					return
				}
				a, n := prog[0], int(prog[1])
				prog = prog[2:]
				if n > len(prog) {
					n = len(prog)
				}
				body := prog[:n]
				prog = prog[n:]
				if op%4 == 0 {
					tr.Add(a, body)
					ref = append(ref, tlsMessage(a, body)...)
					continue
				}
				cut := min(int(a), n)
				want := hashOf(crypto.SHA256, ref, []byte{1, 0, 0, byte(n)}, body[:cut])
				check(t, "BinderHash", tr.BinderHash(nil, body[:cut], n), want)
			case 1:
				check(t, "Sum", tr.Sum(nil), hashOf(crypto.SHA256, ref))
			case 2:
				tr.ReplaceWithMessageHash()
				ref = append([]byte{254, 0, 0, 32}, hashOf(crypto.SHA256, ref)...)
			}
		}
		check(t, "final Sum", tr.Sum(nil), hashOf(crypto.SHA256, ref))
	})
}
