package fragment

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// A model is a naive Reassembler for differential testing: it tracks each byte
// separately and never evicts, so it agrees with a Reassembler whose MaxBuffered
// covers MaxAhead+1 messages of MaxMessageLen.
type model struct {
	lim  Limits
	next uint16
	msgs map[uint16]*modelMessage
}

type modelMessage struct {
	typ      handshake.Type
	body     []byte
	have     []bool
	received int
}

func (m *model) push(h handshake.Header, frag []byte) Status {
	off, n, length := int64(h.FragmentOffset), int64(h.FragmentLength), int64(h.Length)
	switch {
	case int64(len(frag)) != n || off+n > length:
		return Dropped
	case h.MessageSeq < m.next:
		return Old
	case int(h.MessageSeq)-int(m.next) > m.lim.MaxAhead || length > int64(m.lim.MaxMessageLen):
		return Dropped
	}
	mm := m.msgs[h.MessageSeq]
	if mm != nil && (mm.typ != h.Type || int64(len(mm.body)) != length) {
		mm = nil // fragments that disagree: the newer starts the message over
		delete(m.msgs, h.MessageSeq)
	}
	if mm == nil {
		if n == 0 && length > 0 {
			return Accepted
		}
		mm = &modelMessage{typ: h.Type, body: make([]byte, length), have: make([]bool, length)}
		m.msgs[h.MessageSeq] = mm
	}
	for i, b := range frag {
		j := int(off) + i
		mm.body[j] = b
		if !mm.have[j] {
			mm.have[j] = true
			mm.received++
		}
	}
	return Accepted
}

func (m *model) pop() (Message, bool) {
	mm := m.msgs[m.next]
	if mm == nil || mm.received < len(mm.body) {
		return Message{}, false
	}
	delete(m.msgs, m.next)
	m.next++
	return Message{Type: mm.typ, Seq: m.next - 1, Body: mm.body}, true
}

// FuzzReassembler reads its input as a sequence of handshake fragments, each with
// its 12-byte header, as they appear in record payloads. It pushes them into a
// Reassembler with roomy limits, which must agree with the model on every Status
// and every message, and into one with tight limits, which must stay within them
// and pop only messages made of bytes that were pushed for them.
func FuzzReassembler(f *testing.F) {
	for _, name := range captures {
		for _, fromClient := range []bool{false, true} {
			frags := captureFragments(f, name, fromClient)
			f.Add(joinFragments(frags))
			// Each message on its own: smaller inputs fuzz and minimize faster.
			bySeq := make(map[uint16][]fragmentOf)
			for _, fr := range frags {
				bySeq[fr.h.MessageSeq] = append(bySeq[fr.h.MessageSeq], fr)
			}
			for seq := range uint16(len(bySeq)) {
				f.Add(joinFragments(bySeq[seq]))
			}
			// The same, reordered and partly repeated, as after a retransmission.
			rng := rand.New(rand.NewPCG(3, 4))
			frags = append(frags, frags[:len(frags)/2]...)
			rng.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
			f.Add(joinFragments(frags))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var frags []fragmentOf
		for len(data) > 0 {
			h, frag, rest, ok := handshake.ParseFragment(data)
			if !ok {
				break
			}
			frags = append(frags, fragmentOf{h, frag})
			data = rest
		}
		roomy := Limits{MaxMessageLen: 4096, MaxAhead: 6, MaxBuffered: 7 * 4096}
		checkAgainstModel(t, frags, roomy)
		checkTight(t, frags, Limits{MaxMessageLen: 2048, MaxAhead: 3, MaxBuffered: 3000})
	})
}

func joinFragments(frags []fragmentOf) []byte {
	var b []byte
	for _, f := range frags {
		b = f.h.Append(b)
		b = append(b, f.body...)
	}
	return b
}

func checkAgainstModel(t *testing.T, frags []fragmentOf, lim Limits) {
	r := NewReassembler(lim)
	m := &model{lim: lim, msgs: make(map[uint16]*modelMessage)}
	for i, f := range frags {
		got, want := r.Push(f.h, f.body), m.push(f.h, f.body)
		if got != want {
			t.Fatalf("fragment %d (%+v): Push = %v, model says %v", i, f.h, got, want)
		}
		for {
			gm, gok := r.Pop()
			wm, wok := m.pop()
			if gok != wok || gm.Seq != wm.Seq || gm.Type != wm.Type || !bytes.Equal(gm.Body, wm.Body) {
				t.Fatalf("after fragment %d: Pop = seq %d %v, model pops seq %d %v", i, gm.Seq, gok, wm.Seq, wok)
			}
			if !gok {
				break
			}
		}
	}
}

// checkTight checks the properties that hold whatever is evicted: the limits
// hold, lowered halfway through as a handshake lowers them, messages pop in
// sequence, and every byte of a popped message was pushed
// at its offset in a fragment of that message's seq, type and length.
func checkTight(t *testing.T, frags []fragmentOf, lim Limits) {
	r := NewReassembler(lim)
	pushed := make(pushedBytes)
	for i, f := range frags {
		if i == len(frags)/2 {
			// The handshake moved on: what may come next is smaller.
			r.SetLimits(Limits{MaxMessageLen: lim.MaxMessageLen / 2, MaxBuffered: lim.MaxBuffered / 2})
		}
		if r.Push(f.h, f.body) == Accepted {
			pushed.add(f)
		}
		checkBuffered(t, r)
		for {
			next := r.Next()
			m, ok := r.Pop()
			if !ok {
				break
			}
			if m.Seq != next || r.Next() != next+1 {
				t.Fatalf("Pop returned seq %d with Next %d, now %d", m.Seq, next, r.Next())
			}
			if i := pushed.mismatch(m); i >= 0 {
				t.Fatalf("message %d byte %d (%#x) was never pushed there", m.Seq, i, m.Body[i])
			}
		}
	}
}

// pushedBytes records, for each message identity and offset, the byte values
// accepted fragments carried there: the first in first, others in more.
type pushedBytes map[messageKey]*pushedMessage

type messageKey struct {
	seq    uint16
	typ    handshake.Type
	length int
}

type pushedMessage struct {
	first []byte
	seen  []bool
	more  map[int][]byte
}

func (p pushedBytes) add(f fragmentOf) {
	k := messageKey{f.h.MessageSeq, f.h.Type, int(f.h.Length)}
	pm := p[k]
	if pm == nil {
		pm = &pushedMessage{first: make([]byte, k.length), seen: make([]bool, k.length), more: make(map[int][]byte)}
		p[k] = pm
	}
	for i, b := range f.body {
		j := int(f.h.FragmentOffset) + i
		switch {
		case !pm.seen[j]:
			pm.first[j], pm.seen[j] = b, true
		case pm.first[j] != b && bytes.IndexByte(pm.more[j], b) < 0:
			pm.more[j] = append(pm.more[j], b)
		}
	}
}

// mismatch returns the offset of a byte of m no fragment carried, or -1.
func (p pushedBytes) mismatch(m Message) int {
	pm := p[messageKey{m.Seq, m.Type, len(m.Body)}]
	for i, b := range m.Body {
		if pm == nil || !pm.seen[i] || pm.first[i] != b && bytes.IndexByte(pm.more[i], b) < 0 {
			return i
		}
	}
	return -1
}
