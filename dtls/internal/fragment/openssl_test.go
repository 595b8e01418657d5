package fragment

import (
	"bytes"
	"crypto/x509"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"golang.org/x/crypto/cryptobyte"
)

// wantMessage is a known answer: a message a capture's sender sent.
type wantMessage struct {
	typ handshake.Type
	len int
}

// The messages in the epoch-0 records of each side of the captures, in
// message_seq order from 0. The server's cookie exchange (RFC 6347, Section
// 4.2.1) consumes message_seq 0 on both sides.
var opensslMessages = map[string]map[bool][]wantMessage{
	"openssl-dtls12-mtu400.txt": {
		true: {{handshake.TypeClientHello, 203}, {handshake.TypeClientHello, 223}, {handshake.TypeClientKeyExchange, 33}},
		false: {{handshake.TypeHelloVerifyRequest, 23}, {handshake.TypeServerHello, 61}, {handshake.TypeCertificate, 1645},
			{handshake.TypeServerKeyExchange, 296}, {handshake.TypeServerHelloDone, 0}, {4 /* NewSessionTicket */, 182}},
	},
	"openssl-dtls10-mtu300.txt": {
		true: {{handshake.TypeClientHello, 119}, {handshake.TypeClientHello, 139}, {handshake.TypeClientKeyExchange, 33}},
		false: {{handshake.TypeHelloVerifyRequest, 23}, {handshake.TypeServerHello, 65}, {handshake.TypeCertificate, 1645},
			{handshake.TypeServerKeyExchange, 294}, {handshake.TypeServerHelloDone, 0}, {4 /* NewSessionTicket */, 182}},
	},
}

// reassembleAll pushes frags and pops every message that completes.
func reassembleAll(t *testing.T, frags []fragmentOf) []Message {
	t.Helper()
	r := NewReassembler(Limits{})
	var out []Message
	for _, f := range frags {
		if st := r.Push(f.h, f.body); st != Accepted && st != Old {
			t.Fatalf("Push(%+v) = %v", f.h, st)
		}
		for m, ok := r.Pop(); ok; m, ok = r.Pop() {
			out = append(out, m)
		}
	}
	return out
}

func checkMessages(t *testing.T, got []Message, want []wantMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("reassembled %d messages, want %d", len(got), len(want))
	}
	for i, m := range got {
		if m.Seq != uint16(i) || m.Type != want[i].typ || len(m.Body) != want[i].len {
			t.Errorf("message %d: %v seq %d, %d bytes; want %v, %d bytes", i, m.Type, m.Seq, len(m.Body), want[i].typ, want[i].len)
		}
	}
}

func TestReassembleOpenSSL(t *testing.T) {
	for _, name := range captures {
		for _, fromClient := range []bool{true, false} {
			got := reassembleAll(t, captureFragments(t, name, fromClient))
			checkMessages(t, got, opensslMessages[name][fromClient])
			if !fromClient && !t.Failed() {
				checkChain(t, got[2].Body)
			}
		}
	}
}

// checkChain checks a reassembled Certificate body (RFC 5246, Section 7.4.2)
// against the certificates the capture's server was given.
func checkChain(t *testing.T, body []byte) {
	t.Helper()
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		t.Fatalf("Certificate body does not parse")
	}
	var names []string
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) {
			t.Fatalf("certificate_list does not parse")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Subject.CommonName)
	}
	if want := []string{"server.example", "pathdtls test intermediate"}; !slices.Equal(names, want) {
		t.Errorf("chain %q, want %q", names, want)
	}
}

// TestReassembleOpenSSLMixed mixes OpenSSL's fragments of its server flight with
// the same messages cut by Pack at other sizes, shuffled and partly duplicated, as
// a receiver sees a flight and its re-fragmented retransmissions.
func TestReassembleOpenSSLMixed(t *testing.T) {
	for _, name := range captures {
		orig := captureFragments(t, name, false)
		want := reassembleAll(t, orig)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, size := range []int{100, 256, 700, 1500} {
			frags := append(slices.Clone(orig), packFragments(t, want, size)...)
			frags = append(frags, frags[:len(frags)/3]...)
			rng.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
			got := reassembleAll(t, frags)
			if len(got) != len(want) {
				t.Fatalf("%s, size %d: %d messages, want %d", name, size, len(got), len(want))
			}
			for i := range got {
				if got[i].Type != want[i].Type || !bytes.Equal(got[i].Body, want[i].Body) {
					t.Errorf("%s, size %d: message %d differs", name, size, i)
				}
			}
		}
	}
}

// packFragments cuts msgs with Pack into datagrams of size bytes, unprotected,
// and returns the fragments in the order Pack put them.
func packFragments(t *testing.T, msgs []Message, size int) []fragmentOf {
	t.Helper()
	var flight []Out
	for _, m := range msgs {
		flight = append(flight, Out{Type: m.Type, Seq: m.Seq, Body: m.Body})
	}
	dgrams, err := Pack(flight, size, sealings[0].maxPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	var out []fragmentOf
	for _, d := range dgrams {
		for _, r := range d {
			out = append(out, parseHandshakeRecord(t, r.Payload)...)
		}
	}
	return out
}
