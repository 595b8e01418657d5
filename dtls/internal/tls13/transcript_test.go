package tls13

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"testing"
)

// tlsMessage returns msg_type ‖ uint24 length ‖ body.
func tlsMessage(typ uint8, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func hashOf(h crypto.Hash, parts ...[]byte) []byte {
	s := h.New()
	for _, p := range parts {
		s.Write(p)
	}
	return s.Sum(nil)
}

// TestTranscriptHelloRetryRequest checks the message_hash replacement of
// RFC 8446, Section 4.4.1, by the running transcript (ReplaceWithMessageHash)
// and by a stateless server from its cookie (AddMessageHash).
func TestTranscriptHelloRetryRequest(t *testing.T) {
	rfc := readVectors(t, "testdata/rfc8448.txt")
	ch1 := rfc.get(t, "3/ClientHello")
	hrr := tlsMessage(2, bytes.Repeat([]byte{0x5a}, 40))
	ch2 := tlsMessage(1, bytes.Repeat([]byte{0xa5}, 60))
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		ch1Hash := hashOf(h, ch1)
		synthetic := append([]byte{254, 0, 0, byte(h.Size())}, ch1Hash...)
		want := hashOf(h, synthetic, hrr, ch2)

		tr := NewTranscript(h)
		addMessage(t, tr, ch1)
		tr.ReplaceWithMessageHash()
		addMessage(t, tr, hrr)
		addMessage(t, tr, ch2)
		check(t, h.String()+" replaced", tr.Sum(nil), want)

		cookie := NewTranscript(h)
		if !cookie.AddMessageHash(ch1Hash) {
			t.Fatal("AddMessageHash refused a hash of the right size")
		}
		addMessage(t, cookie, hrr)
		addMessage(t, cookie, ch2)
		check(t, h.String()+" from cookie", cookie.Sum(nil), want)

		if NewTranscript(h).AddMessageHash(ch1Hash[1:]) {
			t.Error("AddMessageHash accepted a short hash")
		}
	}
}

// TestTranscriptSum checks that Sum leaves the transcript as it was, and
// that Sum appends to dst.
func TestTranscriptSum(t *testing.T) {
	a, b := tlsMessage(1, []byte("first")), tlsMessage(2, []byte("second"))
	tr := NewTranscript(crypto.SHA256)
	addMessage(t, tr, a)
	first := tr.Sum(nil)
	check(t, "Sum again", tr.Sum(nil), first)
	addMessage(t, tr, b)
	check(t, "after Sum", tr.Sum(nil), hashOf(crypto.SHA256, a, b))
	dst := tr.Sum([]byte{0xff})
	if len(dst) != 1+sha256.Size || dst[0] != 0xff {
		t.Errorf("Sum(dst) = %x", dst)
	}
	if tr.Hash() != crypto.SHA256 {
		t.Errorf("Hash() = %v", tr.Hash())
	}
}

// TestBinderHash checks the hash of a truncated ClientHello after a
// HelloRetryRequest (RFC 8446, Section 4.2.11.2: the binders of the second
// ClientHello cover the first exchange too), that it leaves the transcript
// alone, and that it refuses impossible lengths.
func TestBinderHash(t *testing.T) {
	ch1 := tlsMessage(1, bytes.Repeat([]byte{1}, 50))
	hrr := tlsMessage(2, bytes.Repeat([]byte{2}, 30))
	body := bytes.Repeat([]byte{3}, 100) // 67 bytes, then 33 of binders
	tr := NewTranscript(crypto.SHA256)
	addMessage(t, tr, ch1)
	tr.ReplaceWithMessageHash()
	addMessage(t, tr, hrr)
	before := tr.Sum(nil)

	got := tr.BinderHash(nil, body[:67], len(body))
	synthetic := append([]byte{254, 0, 0, 32}, hashOf(crypto.SHA256, ch1)...)
	want := hashOf(crypto.SHA256, synthetic, hrr, []byte{1, 0, 0, 100}, body[:67])
	check(t, "binder hash", got, want)
	check(t, "transcript after BinderHash", tr.Sum(nil), before)

	for _, n := range []int{66, -1, maxMessage + 1} {
		if got := tr.BinderHash(nil, body[:67], n); got != nil {
			t.Errorf("BinderHash with body length %d = %x", n, got)
		}
	}
}

// TestTranscriptAddTooLong checks that a body no uint24 can announce is
// refused and not hashed.
func TestTranscriptAddTooLong(t *testing.T) {
	tr := NewTranscript(crypto.SHA256)
	empty := tr.Sum(nil)
	if tr.Add(1, make([]byte, maxMessage+1)) {
		t.Fatal("Add accepted a body of 2^24 bytes")
	}
	check(t, "transcript", tr.Sum(nil), empty)
}
